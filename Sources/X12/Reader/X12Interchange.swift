import BillingCore

/// An interchange's ISA header and the functional groups (GS) read inside it.
public struct X12Interchange: Sendable, Hashable {
    /// One GS…GE functional group.
    public struct FunctionalGroup: Sendable, Hashable {
        /// GS01: `HP` for an 835, `HN` for a 277CA, `FA` for a 999.
        public var functionalIdentifier: String
        /// GS02: the application sender's code.
        public var applicationSender: String
        /// GS03: the application receiver's code.
        public var applicationReceiver: String
        /// GS04, when it is a valid date.
        public var date: CalendarDate?
        /// GS05 as sent (`HHMM`, `HHMMSS`…).
        public var time: String
        /// GS06 (repeated in GE02).
        public var controlNumber: String
        /// GS08: the implementation guide, such as `005010X221A1`.
        public var version: String
    }

    /// ISA05: the sender id qualifier (`ZZ`, `30`…).
    public var senderQualifier: String
    /// ISA06 without its padding.
    public var senderID: String
    /// ISA07: the receiver id qualifier.
    public var receiverQualifier: String
    /// ISA08 without its padding.
    public var receiverID: String
    /// ISA09–ISA10, when ISA09 is a valid `YYMMDD` date.
    public var date: CalendarDate?
    /// ISA10 as sent (`HHMM`).
    public var time: String
    /// ISA12: the interchange version, `00501` for 5010.
    public var versionNumber: String
    /// ISA13 (repeated in IEA02).
    public var controlNumber: String
    /// ISA14: whether the sender asked for a TA1.
    public var acknowledgmentRequested: Bool
    /// ISA15: `P` production or `T` test.
    public var usageIndicator: String
    /// The GS…GE groups inside, in order.
    public var groups: [FunctionalGroup]

    /// Whether ISA15 marks the interchange as test data.
    public var isTest: Bool { usageIndicator == "T" }

    init(_ segment: X12Segment) {
        func trimmed(_ position: Int) -> String { segment[position].trimmingSpaces }
        senderQualifier = trimmed(5)
        senderID = trimmed(6)
        receiverQualifier = trimmed(7)
        receiverID = trimmed(8)
        date = X12Value.shortDate(trimmed(9))
        time = trimmed(10)
        versionNumber = trimmed(12)
        controlNumber = trimmed(13)
        acknowledgmentRequested = trimmed(14) == "1"
        usageIndicator = trimmed(15)
        groups = []
    }
}

extension X12Interchange.FunctionalGroup {
    init(_ segment: X12Segment) {
        functionalIdentifier = segment[1]
        applicationSender = segment[2].trimmingSpaces
        applicationReceiver = segment[3].trimmingSpaces
        date = X12Value.date(segment[4])
        time = segment[5]
        controlNumber = segment[6]
        version = segment[8]
    }
}

extension String {
    /// Without leading and trailing spaces (ISA pads its fixed-width elements with them).
    var trimmingSpaces: String {
        let utf8 = self.utf8
        guard utf8.first == 32 || utf8.last == 32 else { return self }
        var slice = Substring(self)
        while slice.first == " " { slice = slice.dropFirst() }
        while slice.last == " " { slice = slice.dropLast() }
        return String(slice)
    }
}
