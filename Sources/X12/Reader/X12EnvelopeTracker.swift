/// Follows ISA/GS/ST…SE/GE/IEA around the segments a reader interprets: checks that each
/// segment stands inside the envelopes it needs, counts segments for SE01, transaction sets for
/// GE01 and groups for IEA01, and records what it found.
///
/// Wrong counts and mismatched control numbers become warnings (the data is still whole); a
/// segment outside any transaction set, or a text that ends inside one, is an error.
struct X12EnvelopeTracker {
    /// Where a segment stands in the envelope structure.
    enum Event {
        case interchangeHeader
        case groupHeader
        /// An ST: a transaction set begins.
        case transactionHeader
        /// An SE: the open transaction set ends.
        case transactionTrailer
        case groupTrailer
        case interchangeTrailer
        /// Any other segment, inside an open transaction set.
        case content
    }

    /// An open ST…SE.
    struct OpenTransaction {
        var identifier: String
        var controlNumber: String
        var implementationGuide: String
        var startSegment: Int
        var segmentCount: Int
    }

    private(set) var interchanges: [X12Interchange] = []
    private(set) var warnings: [X12ReadWarning] = []
    private(set) var transaction: OpenTransaction?
    private(set) var group: X12Interchange.FunctionalGroup?
    private var interchangeOpen = false
    private var interchangeStart = 0
    private var groupsInInterchange = 0
    private var groupStart = 0
    private var transactionsInGroup = 0
    private var sawInterchange = false

    /// ISA13 of the open interchange.
    var interchangeControlNumber: String? { interchangeOpen ? interchanges.last?.controlNumber : nil }

    /// Places `segment` in the envelope structure.
    ///
    /// - Throws: ``X12ReadError`` `.unexpectedSegment` for an envelope segment out of order or a
    ///   content segment outside ST…SE.
    mutating func observe(_ segment: X12Segment) throws -> Event {
        if transaction != nil { transaction!.segmentCount += 1 }
        switch segment.identifier {
        case "ISA":
            if let transaction {
                throw X12ReadError(.truncated, segment, "a new interchange begins inside transaction set "
                    + "\(transaction.identifier) \(transaction.controlNumber) (segment \(transaction.startSegment)), "
                    + "which has no SE")
            }
            if interchangeOpen {
                warnings.append(X12ReadWarning(segment, "a new interchange begins before IEA closed the one at "
                    + "segment \(interchangeStart)"))
            }
            interchanges.append(X12Interchange(segment))
            interchangeOpen = true
            sawInterchange = true
            interchangeStart = segment.number
            groupsInInterchange = 0
            group = nil
            return .interchangeHeader
        case "GS":
            if let transaction {
                throw X12ReadError(.truncated, segment, "a functional group begins inside transaction set "
                    + "\(transaction.identifier) \(transaction.controlNumber) (segment \(transaction.startSegment)), "
                    + "which has no SE")
            }
            if sawInterchange && !interchangeOpen {
                throw X12ReadError(.unexpectedSegment, segment, "GS stands outside any ISA…IEA interchange")
            }
            if group != nil {
                warnings.append(X12ReadWarning(segment, "a new functional group begins before GE closed the one at "
                    + "segment \(groupStart)"))
            }
            let header = X12Interchange.FunctionalGroup(segment)
            group = header
            groupStart = segment.number
            groupsInInterchange += 1
            transactionsInGroup = 0
            if interchangeOpen { interchanges[interchanges.count - 1].groups.append(header) }
            return .groupHeader
        case "ST":
            if let transaction {
                throw X12ReadError(.truncated, segment, "a transaction set begins before SE closed "
                    + "\(transaction.identifier) \(transaction.controlNumber) (segment \(transaction.startSegment))")
            }
            if sawInterchange && group == nil {
                throw X12ReadError(.unexpectedSegment, segment, "ST stands outside any GS…GE functional group")
            }
            transaction = OpenTransaction(
                identifier: segment[1], controlNumber: segment[2],
                implementationGuide: segment[3].isEmpty ? group?.version ?? "" : segment[3],
                startSegment: segment.number, segmentCount: 1)
            transactionsInGroup += 1
            return .transactionHeader
        case "SE":
            guard let open = transaction else {
                throw X12ReadError(.unexpectedSegment, segment, "SE stands outside any ST…SE transaction set")
            }
            if Int(segment[1]) != open.segmentCount {
                let stated = segment[1].isEmpty ? "nothing" : segment[1]
                warnings.append(X12ReadWarning(segment, element: 1, "SE01 says \(stated) segments but the transaction "
                    + "set begun at segment \(open.startSegment) has \(open.segmentCount)"))
            }
            if segment[2] != open.controlNumber {
                warnings.append(X12ReadWarning(segment, element: 2, "SE02 \(segment[2]) does not match ST02 "
                    + "\(open.controlNumber)"))
            }
            transaction = nil
            return .transactionTrailer
        case "GE":
            if let transaction {
                throw X12ReadError(.truncated, segment, "GE closes the group before SE closed transaction set "
                    + "\(transaction.identifier) \(transaction.controlNumber) (segment \(transaction.startSegment))")
            }
            guard let open = group else {
                throw X12ReadError(.unexpectedSegment, segment, "GE stands outside any GS…GE functional group")
            }
            if Int(segment[1]) != transactionsInGroup {
                warnings.append(X12ReadWarning(segment, element: 1, "GE01 says \(segment[1]) transaction sets but the "
                    + "group begun at segment \(groupStart) has \(transactionsInGroup)"))
            }
            if segment[2] != open.controlNumber {
                warnings.append(X12ReadWarning(segment, element: 2, "GE02 \(segment[2]) does not match GS06 "
                    + "\(open.controlNumber)"))
            }
            group = nil
            return .groupTrailer
        case "IEA":
            if let transaction {
                throw X12ReadError(.truncated, segment, "IEA closes the interchange before SE closed transaction set "
                    + "\(transaction.identifier) \(transaction.controlNumber) (segment \(transaction.startSegment))")
            }
            guard interchangeOpen, let header = interchanges.last else {
                throw X12ReadError(.unexpectedSegment, segment, "IEA stands outside any ISA…IEA interchange")
            }
            if group != nil {
                warnings.append(X12ReadWarning(segment, "IEA closes the interchange before GE closed the group at "
                    + "segment \(groupStart)"))
                group = nil
            }
            if Int(segment[1]) != groupsInInterchange {
                warnings.append(X12ReadWarning(segment, element: 1, "IEA01 says \(segment[1]) functional groups but "
                    + "the interchange begun at segment \(interchangeStart) has \(groupsInInterchange)"))
            }
            if segment[2].trimmingSpaces != header.controlNumber {
                warnings.append(X12ReadWarning(segment, element: 2, "IEA02 \(segment[2]) does not match ISA13 "
                    + "\(header.controlNumber)"))
            }
            interchangeOpen = false
            return .interchangeTrailer
        default:
            guard transaction != nil else {
                throw X12ReadError(.unexpectedSegment, segment, "\(segment.identifier) stands outside any ST…SE "
                    + "transaction set")
            }
            return .content
        }
    }

    /// Checks that nothing is left open at the end of the text.
    ///
    /// - Parameter lastSegment: the number of the last segment read.
    /// - Throws: ``X12ReadError`` `.truncated` naming the envelope that was never closed.
    func finish(lastSegment: Int) throws {
        if let transaction {
            throw X12ReadError(.truncated, segmentNumber: lastSegment,
                               message: "the text ends inside transaction set \(transaction.identifier) "
                                   + "\(transaction.controlNumber) begun at segment \(transaction.startSegment): no SE")
        }
        if group != nil {
            throw X12ReadError(.truncated, segmentNumber: lastSegment,
                               message: "the text ends inside the functional group begun at segment "
                                   + "\(groupStart): no GE")
        }
        if interchangeOpen {
            throw X12ReadError(.truncated, segmentNumber: lastSegment,
                               message: "the text ends inside the interchange begun at segment \(interchangeStart): "
                                   + "no IEA")
        }
    }
}
