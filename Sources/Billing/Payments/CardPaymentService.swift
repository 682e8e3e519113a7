import BillingCore
import Crypto
import Foundation
import PluginAPI
import PluginHost
import Storage

/// `paymentMethod.attach`: a token the practice's processor issued (its browser SDK collects the
/// card; Ledgerline never sees card numbers).
public struct NewPaymentMethod: Sendable, Decodable {
    public var clientId: ClientID
    /// The contact who owns the card (a parent paying for a minor), linked to the client.
    public var contactId: ContactID?
    public var token: String
    public var brand: String?
    public var last4: String?
    public var expMonth: Int?
    public var expYear: Int?
    public var label: String?
}

/// `payment.charge`.
public struct CardChargeInput: Sendable, Decodable {
    public var clientId: ClientID
    public var paymentMethodId: PaymentMethodID
    public var amountCents: Int64
    /// Explicit allocations; when absent the money goes to the oldest Open bills first.
    public var allocations: [PaymentAllocation]?
    public var idempotencyKey: String
}

/// The outcome of `payment.charge`.
public struct CardChargeOutcome: Sendable {
    public var charge: CardChargeRecord
    /// The recorded payment, when the processor approved.
    public var payment: LedgerService.PaymentOutcome?
}

/// Card payments through the practice's payment-processor plugin: stored methods are processor
/// tokens only; a charge records a card payment when approved and nothing but the attempt when
/// declined. The processor's idempotency key is derived from the request's, so a retried call
/// (after a crash or a lost answer) charges once.
public struct CardPaymentService: Sendable {
    let runtime: PluginRuntime
    let methods = PaymentMethodRepository()

    /// Creates the use cases over the server's plugins.
    public init(runtime: PluginRuntime) { self.runtime = runtime }

    /// Stores a processor token for a client (idempotent: the same token answers the stored method).
    /// - Throws: −32012 without a payment-processor integration; not found for another practice's
    ///   client or an unlinked contact.
    public func attach(_ input: NewPaymentMethod, practiceID: PracticeID, memberID: MemberID?,
                       in transaction: Transaction, now: Date = Date()) async throws -> PaymentMethodRecord {
        guard try await ClientRepository().find(input.clientId, in: transaction) != nil else {
            throw DomainError.notFound("client", pointer: "/clientId")
        }
        if let contact = input.contactId {
            guard try await StatementRepository().contactLinked(contact, to: input.clientId, in: transaction) else {
                throw DomainError.notFound("contact", pointer: "/contactId")
            }
        }
        let (plugin, _) = try await IntegrationService(runtime: runtime).resolve(.paymentProcessor, practiceID: practiceID,
                                                                                   in: transaction)
        var problems: [FieldProblem] = []
        if input.token.isEmpty || input.token.count > 255 || input.token.contains(where: { $0.isWhitespace }) {
            problems.append(FieldProblem(pointer: "/token", reason: "must be the processor's token (1–255 characters, no spaces)"))
        }
        if let last4 = input.last4, !(last4.count == 4 && last4.allSatisfy(\.isASCII) && last4.allSatisfy(\.isNumber)) {
            problems.append(FieldProblem(pointer: "/last4", reason: "must be 4 digits"))
        }
        if (input.expMonth == nil) != (input.expYear == nil) {
            problems.append(FieldProblem(pointer: input.expMonth == nil ? "/expMonth" : "/expYear",
                                         reason: "expMonth and expYear go together"))
        }
        guard problems.isEmpty else { throw DomainError.validation(problems) }
        if let stored = try await methods.find(plugin: plugin.name, token: input.token, in: transaction) {
            guard stored.clientID == input.clientId else {
                throw DomainError(.conflict, code: "paymentMethod.tokenInUse",
                                  message: "this token is stored for another client",
                                  problems: [FieldProblem(pointer: "/token", reason: "is stored for another client")])
            }
            return stored
        }
        // A new card starts AutoPay over after declines stopped it.
        try await AutomationRepository().resetAutoPay(input.clientId, in: transaction)
        let record = PaymentMethodRecord(
            id: .generate(), clientID: input.clientId, contactID: input.contactId, plugin: plugin.name,
            processorToken: input.token, brand: input.brand, last4: input.last4, expMonth: input.expMonth,
            expYear: input.expYear, label: input.label, active: true, createdAt: now)
        _ = try await methods.insert(record, createdBy: memberID, practiceID: practiceID, in: transaction)
        return record
    }

    /// A client's payment methods.
    public func list(clientID: ClientID, includeInactive: Bool, in transaction: Transaction) async throws
        -> [PaymentMethodRecord]
    {
        guard try await ClientRepository().find(clientID, in: transaction) != nil else {
            throw DomainError.notFound("client", pointer: "/clientId")
        }
        return try await methods.list(clientID: clientID, includeInactive: includeInactive, in: transaction)
    }

    /// Stops a payment method from being charged (idempotent).
    public func detach(_ id: PaymentMethodID, in transaction: Transaction) async throws -> PaymentMethodRecord {
        guard var record = try await methods.find(id, in: transaction) else { throw DomainError.notFound("paymentMethod") }
        if record.active {
            try await methods.deactivate(id, in: transaction)
            record.active = false
        }
        return record
    }

    /// Charges a stored payment method and, when approved, records a card payment allocated as given.
    ///
    /// The allocation is checked before the processor is asked (inside a savepoint, with the
    /// client locked for the whole call), so an approved charge is always recorded.
    /// - Throws: validation and not-found errors before any charge; −32012 without a processor;
    ///   −32013 when the processor cannot say whether it charged (retry with the same key).
    public func charge(_ input: CardChargeInput, practiceID: PracticeID, memberID: MemberID?,
                       in transaction: Transaction, now: Date = Date()) async throws -> CardChargeOutcome {
        guard try await BillingSourceRepository().lockClient(input.clientId, in: transaction) else {
            throw DomainError.notFound("client", pointer: "/clientId")
        }
        guard let method = try await methods.find(input.paymentMethodId, in: transaction),
              method.clientID == input.clientId else {
            throw DomainError.notFound("paymentMethod", pointer: "/paymentMethodId")
        }
        guard method.active else {
            throw DomainError(.conflict, code: "paymentMethod.inactive", message: "the payment method was detached",
                              problems: [FieldProblem(pointer: "/paymentMethodId", reason: "was detached")])
        }
        let (plugin, settings) = try await IntegrationService(runtime: runtime).resolve(
            .paymentProcessor, practiceID: practiceID, in: transaction)
        guard plugin.name == method.plugin else {
            throw DomainError(.conflict, code: "paymentMethod.otherProcessor",
                              message: "the payment method belongs to processor '\(method.plugin)', but the practice now uses '\(plugin.name)'",
                              problems: [FieldProblem(pointer: "/paymentMethodId", reason: "was issued by another processor")])
        }
        let chargeID = CardChargeID.generate()
        let today = try await PracticeCalendar().today(in: transaction, now: now)
        let payment = NewPayment(
            clientId: input.clientId, amountCents: input.amountCents, method: .card, receivedOn: today,
            reference: "card charge \(chargeID)", payerContactId: method.contactID, allocations: input.allocations,
            idempotencyKey: nil)
        // Dry run: the allocation must be valid before money moves.
        try await transaction.query("savepoint card_charge_check")
        do {
            _ = try await LedgerService().recordPayment(payment, practiceID: practiceID, memberID: memberID,
                                                        in: transaction, now: now)
        } catch {
            try await transaction.query("rollback to savepoint card_charge_check")
            throw error
        }
        try await transaction.query("rollback to savepoint card_charge_check")

        let processorKey = Self.processorKey(practiceID: practiceID, idempotencyKey: input.idempotencyKey)
        let result: ChargeResult
        do {
            result = try await plugin.charge(
                ChargeRequest(amountCents: input.amountCents, paymentMethodToken: method.processorToken,
                              idempotencyKey: processorKey),
                settings: settings)
        } catch {
            throw DomainError.plugin(error)
        }
        switch result.outcome {
        case .approved:
            guard let processorChargeID = result.processorChargeID, !processorChargeID.isEmpty else {
                throw DomainError(.upstream, code: "integration.malformedResponse",
                                  message: "the processor approved the charge without a charge id; check its dashboard before retrying")
            }
            let recorded = try await LedgerService().recordPayment(payment, practiceID: practiceID, memberID: memberID,
                                                                   in: transaction, now: now)
            let charge = CardChargeRecord(
                id: chargeID, clientID: input.clientId, paymentMethodID: method.id, amountCents: input.amountCents,
                processorIdempotencyKey: processorKey, outcome: "approved", processorChargeID: processorChargeID,
                declineReason: nil, paymentID: recorded.payment.id, createdAt: now)
            try await methods.insertCharge(charge, requestedBy: memberID, practiceID: practiceID, in: transaction)
            return CardChargeOutcome(charge: charge, payment: recorded)
        case .declined:
            let charge = CardChargeRecord(
                id: chargeID, clientID: input.clientId, paymentMethodID: method.id, amountCents: input.amountCents,
                processorIdempotencyKey: processorKey, outcome: "declined", processorChargeID: nil,
                declineReason: result.declineReason ?? "declined", paymentID: nil, createdAt: now)
            try await methods.insertCharge(charge, requestedBy: memberID, practiceID: practiceID, in: transaction)
            return CardChargeOutcome(charge: charge, payment: nil)
        }
    }

    /// The key the processor sees: stable for one practice's request key, opaque, and never the
    /// same for two practices that happen to choose the same request key.
    static func processorKey(practiceID: PracticeID, idempotencyKey: String) -> String {
        let digest = SHA256.hash(data: Data("\(practiceID):\(idempotencyKey)".utf8))
        return "ll_" + digest.prefix(20).map { String(format: "%02x", $0) }.joined()
    }
}
