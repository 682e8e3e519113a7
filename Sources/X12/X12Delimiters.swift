/// The four characters that delimit an X12 interchange (ISA16, ISA11 and the two implied by ISA).
///
/// None of them may occur in data; the writer strips them from every element.
public struct X12Delimiters: Sendable, Hashable {
    /// Separates elements within a segment (default `*`).
    public var element: Character
    /// Separates components of a composite element (ISA16, default `:`).
    public var component: Character
    /// Separates repetitions of an element (ISA11, default `^`).
    public var repetition: Character
    /// Ends a segment (default `~`).
    public var segment: Character
    /// Written after each segment terminator, such as `"\n"` for readable files; empty by default.
    public var segmentSuffix: String

    /// The usual choice: `*`, `:`, `^`, `~`, with nothing after the terminator.
    public static let standard = X12Delimiters()

    /// Creates a delimiter set; the four characters must be distinct ASCII punctuation or control
    /// characters (such as 0x1C), never a letter, digit or space.
    public init(
        element: Character = "*", component: Character = ":", repetition: Character = "^",
        segment: Character = "~", segmentSuffix: String = ""
    ) {
        self.element = element
        self.component = component
        self.repetition = repetition
        self.segment = segment
        self.segmentSuffix = segmentSuffix
    }

    /// The reason this set cannot be used, or `nil`.
    public var problem: String? {
        let all = [element, component, repetition, segment]
        guard Set(all).count == 4 else { return "the four delimiters must differ" }
        for character in all {
            guard character.isASCII, let value = character.asciiValue,
                  value != 32, !character.isLetter, !character.isNumber else {
                return "a delimiter must be ASCII punctuation or a control character"
            }
        }
        guard segmentSuffix.allSatisfy({ $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else {
            return "the segment suffix may hold only line breaks"
        }
        return nil
    }
}
