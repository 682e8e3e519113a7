import BillingCore

/// What wraps a batch of claims: ISA/GS/ST identities, control numbers, submitter and receiver.
///
/// Control numbers come from the caller, which keeps them unique per practice (ISA13 is never
/// reused for a sender/receiver pair; 999 and TA1 acknowledgements refer back to them).
public struct InterchangeEnvelope: Sendable, Hashable {
    /// ISA15: whether the receiver should treat the file as test or production data.
    public enum Usage: String, Sendable, Hashable, CaseIterable {
        /// Test data (`T`).
        case test = "T"
        /// Production data (`P`).
        case production = "P"
    }

    /// The submitter (1000A): who sends the file, usually the practice or the clearinghouse account.
    public struct Submitter: Sendable, Hashable {
        /// The submitter's name (NM103).
        public var name: String
        /// NM109 with qualifier `46` (ETIN), as the receiver assigned it.
        public var identifier: String
        /// The EDI contact person (PER02).
        public var contactName: String
        /// Contact phone digits (PER…TE); at least one of phone and email is required.
        public var phone: String?
        /// Contact email (PER…EM).
        public var email: String?

        /// Creates a submitter.
        public init(name: String, identifier: String, contactName: String, phone: String? = nil, email: String? = nil) {
            self.name = name
            self.identifier = identifier
            self.contactName = contactName
            self.phone = phone
            self.email = email
        }
    }

    /// ISA05: the sender id qualifier (`ZZ`, mutually defined, by default).
    public var senderQualifier: String
    /// ISA06 and GS02: the sender id (≤ 15 characters), as the receiver assigned it.
    public var senderID: String
    /// ISA07: the receiver id qualifier.
    public var receiverQualifier: String
    /// ISA08 and GS03: the receiver id (≤ 15 characters), e.g. the clearinghouse's.
    public var receiverID: String
    /// ISA13 (and IEA02): 1…999,999,999, written as 9 digits.
    public var interchangeControlNumber: Int
    /// GS06 (and GE02): 1…999,999,999.
    public var groupControlNumber: Int
    /// ST02 (and SE02): 1…999,999,999, written with at least 4 digits.
    public var transactionSetControlNumber: Int
    /// The 1000A submitter.
    public var submitter: Submitter
    /// 1000B NM103: the receiver's name (the clearinghouse).
    public var receiverName: String
    /// 1000B NM109; defaults to ``receiverID``.
    public var receiverIdentifier: String
    /// BHT03: the originator's batch reference; defaults to the transaction set control number.
    public var batchReference: String?
    /// When the file was created, in the practice's zone: date, hour (0–23) and minute.
    public var creationDate: CalendarDate
    /// Hour of creation, 0–23.
    public var creationHour: Int
    /// Minute of creation, 0–59.
    public var creationMinute: Int
    /// ISA15: test or production.
    public var usage: Usage
    /// ISA14: whether a TA1 interchange acknowledgement is requested.
    public var acknowledgmentRequested: Bool

    /// Creates an envelope.
    public init(
        senderQualifier: String = "ZZ", senderID: String, receiverQualifier: String = "ZZ", receiverID: String,
        interchangeControlNumber: Int, groupControlNumber: Int, transactionSetControlNumber: Int,
        submitter: Submitter, receiverName: String, receiverIdentifier: String? = nil, batchReference: String? = nil,
        creationDate: CalendarDate, creationHour: Int, creationMinute: Int, usage: Usage,
        acknowledgmentRequested: Bool = false
    ) {
        self.senderQualifier = senderQualifier
        self.senderID = senderID
        self.receiverQualifier = receiverQualifier
        self.receiverID = receiverID
        self.interchangeControlNumber = interchangeControlNumber
        self.groupControlNumber = groupControlNumber
        self.transactionSetControlNumber = transactionSetControlNumber
        self.submitter = submitter
        self.receiverName = receiverName
        self.receiverIdentifier = receiverIdentifier ?? receiverID
        self.batchReference = batchReference
        self.creationDate = creationDate
        self.creationHour = creationHour
        self.creationMinute = creationMinute
        self.usage = usage
        self.acknowledgmentRequested = acknowledgmentRequested
    }

    /// Every reason this envelope cannot be written, as JSON Pointers; empty when it can.
    public func problems() -> [FieldProblem] {
        var problems: [FieldProblem] = []
        let controlNumbers = 1...999_999_999
        let numbered = [
            ("/interchangeControlNumber", interchangeControlNumber),
            ("/groupControlNumber", groupControlNumber),
            ("/transactionSetControlNumber", transactionSetControlNumber),
        ]
        for (pointer, value) in numbered where !controlNumbers.contains(value) {
            problems.append(FieldProblem(pointer: pointer, reason: "must be 1–999999999"))
        }
        for (pointer, value) in [("/senderID", senderID), ("/receiverID", receiverID)]
        where value.isEmpty || value.utf8.count > 15 {
            problems.append(FieldProblem(pointer: pointer, reason: "must be 1–15 characters"))
        }
        for (pointer, value) in [("/senderQualifier", senderQualifier), ("/receiverQualifier", receiverQualifier)]
        where value.utf8.count != 2 {
            problems.append(FieldProblem(pointer: pointer, reason: "must be 2 characters"))
        }
        if submitter.phone == nil && submitter.email == nil {
            problems.append(FieldProblem(pointer: "/submitter/phone", reason: "a phone or an email is required"))
        }
        if !(0...23).contains(creationHour) || !(0...59).contains(creationMinute) {
            problems.append(FieldProblem(pointer: "/creationHour", reason: "must be a time of day"))
        }
        return problems
    }
}
