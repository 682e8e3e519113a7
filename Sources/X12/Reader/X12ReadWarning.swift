/// Something odd in a file that did not stop it being read: a wrong SE01 count, a date that is not
/// a date, a component separator other than the one ISA16 declares.
public struct X12ReadWarning: Sendable, Hashable, CustomStringConvertible {
    /// The 1-based position of the segment in the text.
    public var segmentNumber: Int
    /// The segment identifier, such as `BPR`.
    public var segmentIdentifier: String
    /// The element position (1-based, X12 numbering), when one element is concerned.
    public var elementPosition: Int?
    /// A plain-language explanation, including what the reader did about it.
    public var message: String

    /// Creates a warning.
    public init(segmentNumber: Int, segmentIdentifier: String, elementPosition: Int? = nil, message: String) {
        self.segmentNumber = segmentNumber
        self.segmentIdentifier = segmentIdentifier
        self.elementPosition = elementPosition
        self.message = message
    }

    /// A warning about `segment`, optionally one of its elements.
    init(_ segment: X12Segment, element position: Int? = nil, _ message: String) {
        self.init(segmentNumber: segment.number, segmentIdentifier: segment.identifier, elementPosition: position,
                  message: message)
    }

    /// `segment 12 (CLP03): ` followed by the message.
    public var description: String {
        Self.locate(segmentNumber: segmentNumber, identifier: segmentIdentifier, element: elementPosition) + message
    }

    /// `segment 12 (CLP03): `, `segment 12 (CLP): `, `segment 12: ` or nothing.
    static func locate(segmentNumber: Int?, identifier: String?, element: Int?) -> String {
        guard let segmentNumber else { return "" }
        guard let identifier, !identifier.isEmpty else { return "segment \(segmentNumber): " }
        let name = element.map { identifier + ($0 < 10 ? "0" : "") + String($0) } ?? identifier
        return "segment \(segmentNumber) (\(name)): "
    }
}
