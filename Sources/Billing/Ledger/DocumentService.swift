import BillingCore
import Documents
import Foundation
import Storage

/// Bill and superbill PDFs, stored as short-lived files behind an unguessable link.
public struct DocumentService: Sendable {
    let sources = DocumentSourceRepository()
    let files = FileRepository()
    let bills = BillRepository()

    /// How long a file link stays valid.
    public static let linkLifetime: TimeInterval = 15 * 60

    /// Creates the service.
    public init() {}

    /// A stored PDF: where to fetch it, until when, and its bytes.
    public struct StoredFile: Sendable {
        public let url: String
        public let expiresAt: Date
        public let bytes: [UInt8]
    }

    /// A generated superbill.
    public struct Superbill: Sendable {
        public let id: SuperbillID
        public let data: SuperbillData
        public let pdf: StoredFile
    }

    /// Builds a superbill for a client's Open and Complete bills with services in `from…to`.
    /// A Pended bill in the range is refused (open it first); a range with nothing billed is refused.
    public func generateSuperbill(clientID: ClientID, from: CalendarDate, to: CalendarDate, practiceID: PracticeID,
                                  memberID: MemberID?, in transaction: Transaction, now: Date = Date()) async throws -> Superbill {
        guard to >= from else { throw DomainError.invalid("/to", "must not be before from", code: "range") }
        guard let client = try await sources.client(clientID, in: transaction) else {
            throw DomainError.notFound("client", pointer: "/clientId")
        }
        guard let practice = try await sources.practice(in: transaction) else { throw DomainError.notFound("practice") }
        var lines: [SuperbillData.Line] = []
        var charges: Int64 = 0, paid: Int64 = 0, balance: Int64 = 0
        var sessions: [SessionID] = []
        var included: [Bill] = []
        for billID in try await sources.billIDs(of: clientID, from: from, to: to, in: transaction) {
            guard let bill = try await bills.find(billID, in: transaction) else { continue }
            if bill.status == .pended {
                throw DomainError(.conflict, code: "superbill.pendedBill",
                                  message: "bill \(bill.number) is Pended; only Open or Complete bills go on a superbill — open it first",
                                  problems: [FieldProblem(pointer: "/from", reason: "range includes Pended bill \(bill.number)",
                                                          code: "pendedBill")])
            }
            guard bill.status.isSuperbillEligible else { continue }
            included.append(bill)
            for line in bill.lines { if let session = line.sessionID, !sessions.contains(session) { sessions.append(session) } }
        }
        guard !included.isEmpty else {
            throw DomainError(.conflict, code: "superbill.nothingBilled",
                              message: "the client has no Open or Complete bills with services in this range",
                              problems: [FieldProblem(pointer: "/from", reason: "no billed services in range", code: "empty")])
        }
        let facts = try await sources.sessionFacts(sessions, in: transaction)
        var diagnosisCodes: [String] = []
        for bill in included {
            charges += bill.balance.chargesCents
            paid += bill.balance.paidCents
            balance += bill.balance.clientResponsibilityCents
            for line in bill.lines where line.dateOfService >= from && line.dateOfService <= to {
                let fact = line.sessionID.flatMap { facts[$0] }
                for code in fact?.diagnoses ?? [] where !diagnosisCodes.contains(code) { diagnosisCodes.append(code) }
                lines.append(SuperbillData.Line(
                    dateOfService: line.dateOfService, billNumber: bill.number, code: line.code, modifiers: line.modifiers,
                    units: line.units, description: line.description, placeOfService: fact?.placeOfService,
                    providerMemberId: fact?.renderingMemberID.description, diagnosisCodes: fact?.diagnoses ?? [],
                    feeCents: line.amountCents))
            }
        }
        lines.sort { ($0.dateOfService, $0.billNumber) < ($1.dateOfService, $1.billNumber) }
        let providerIDs = Array(Set(facts.values.map(\.renderingMemberID)))
        let data = SuperbillData(
            practice: practice, providers: try await sources.providers(providerIDs, in: transaction), client: client,
            policy: try await sources.primaryPolicy(of: clientID, on: to, in: transaction), from: from, to: to,
            diagnoses: diagnosisCodes.map { SuperbillData.Diagnosis(code: $0, description: ICD10.description($0) ?? "") },
            lines: lines, totalChargesCents: charges, paidCents: paid, balanceCents: balance)
        let id = SuperbillID.generate()
        try await sources.insertSuperbill(id: id, clientID: clientID, from: from, to: to, data: data, createdBy: memberID,
                                          practiceID: practiceID, in: transaction)
        let bytes = try SuperbillDocument.render(data)
        let file = try await store(bytes, kind: "superbill", practiceID: practiceID, in: transaction, now: now)
        return Superbill(id: id, data: data, pdf: file)
    }

    /// Renders a bill's PDF (any status but Void) and stores it behind a link.
    public func billPDF(_ billID: BillID, practiceID: PracticeID, footer: String?, in transaction: Transaction,
                        now: Date = Date()) async throws -> StoredFile {
        guard let bill = try await bills.find(billID, in: transaction) else { throw DomainError.notFound("bill") }
        guard bill.status != .void else {
            throw DomainError(.conflict, code: "bill.void", message: "a Void bill has no document",
                              problems: [FieldProblem(pointer: "/id", reason: "bill is Void", code: "void")])
        }
        guard let practice = try await sources.practice(in: transaction),
              let client = try await sources.client(bill.clientID, in: transaction) else { throw DomainError.notFound("bill") }
        let bytes = try BillDocument.render(bill, context: BillDocument.Context(
            practice: practice, clientName: client.name, clientAddress: client.address, footer: footer))
        return try await store(bytes, kind: "bill", practiceID: practiceID, in: transaction, now: now)
    }

    /// A file's content by its link token.
    public func fetch(token: String, in transaction: Transaction) async throws -> (contentType: String, content: [UInt8])? {
        guard token.hasPrefix("llf_"), token.count <= 100 else { return nil }
        return try await files.fetch(tokenHash: Secrets.hash(token), in: transaction)
    }

    private func store(_ bytes: [UInt8], kind: String, practiceID: PracticeID, in transaction: Transaction, now: Date)
        async throws -> StoredFile
    {
        let token = Secrets.generate(prefix: "llf_")
        let expiresAt = now.addingTimeInterval(Self.linkLifetime)
        try await files.insert(id: .generate(), tokenHash: Secrets.hash(token), kind: kind, contentType: "application/pdf",
                               content: bytes, expiresAt: expiresAt, practiceID: practiceID, in: transaction)
        return StoredFile(url: "/files/\(token)", expiresAt: expiresAt, bytes: bytes)
    }
}
