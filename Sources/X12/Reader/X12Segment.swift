/// One segment as the tokenizer read it: its identifier, its data elements and where it sits in the file.
///
/// Element positions follow X12 numbering: `segment[1]` is the first element after the identifier
/// (CLP01), and a position past the end reads as empty, just as an element left out does.
public struct X12Segment: Sendable, Hashable {
    /// The segment identifier, such as `CLP`.
    public let identifier: String
    /// The data elements after the identifier; `elements[0]` is position 01.
    public let elements: [String]
    /// The segment's 1-based position in the text (the first ISA is segment 1).
    public let number: Int
    /// The component separator in force for this segment (ISA16 of its interchange).
    public let componentSeparator: UInt8
    /// The repetition separator in force (ISA11), or `nil` when the interchange declares none.
    public let repetitionSeparator: UInt8?

    /// Creates a segment.
    public init(
        identifier: String, elements: [String], number: Int, componentSeparator: UInt8 = UInt8(ascii: ":"),
        repetitionSeparator: UInt8? = UInt8(ascii: "^")
    ) {
        self.identifier = identifier
        self.elements = elements
        self.number = number
        self.componentSeparator = componentSeparator
        self.repetitionSeparator = repetitionSeparator
    }

    /// The element at X12 `position` (1-based), or `""` when the segment has no such element.
    public subscript(_ position: Int) -> String {
        position >= 1 && position <= elements.count ? elements[position - 1] : ""
    }

    /// The components of the composite element at `position`, split on the component separator;
    /// empty when the element is empty.
    public func components(_ position: Int) -> [String] {
        let element = self[position]
        guard !element.isEmpty else { return [] }
        return Self.split(element, on: componentSeparator)
    }

    /// The repetitions of the element at `position`, split on the repetition separator.
    public func repetitions(_ position: Int) -> [String] {
        let element = self[position]
        guard !element.isEmpty else { return [] }
        guard let separator = repetitionSeparator else { return [element] }
        return Self.split(element, on: separator)
    }

    /// `"CLP"` or `"CLP03"`: how messages name the segment or one of its elements.
    func name(element position: Int? = nil) -> String {
        guard let position else { return identifier }
        return identifier + (position < 10 ? "0" : "") + String(position)
    }

    static func split(_ text: String, on separator: UInt8) -> [String] {
        text.utf8.split(separator: separator, omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
    }
}
