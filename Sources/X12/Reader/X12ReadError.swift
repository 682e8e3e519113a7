/// Why a text could not be read as X12: a stable ``Code``, the segment it concerns and a plain message.
///
/// The description always names the segment, as `segment 12 (CLP03): "0.005" has more than two
/// decimal places`, so a person can find the spot in the file.
public struct X12ReadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure; callers switch on it, people read ``X12ReadError/message``.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The machine code, such as `x12.truncated`.
        public let rawValue: String
        /// Creates a code.
        public init(_ rawValue: String) { self.rawValue = rawValue }
        /// The machine code as text.
        public var description: String { rawValue }

        /// The text holds nothing but whitespace.
        public static let empty = Code("x12.empty")
        /// The text does not start with ISA (or, for a bare transaction, GS or ST).
        public static let notX12 = Code("x12.notX12")
        /// The text ends inside a segment, a transaction set, a group or an interchange.
        public static let truncated = Code("x12.truncated")
        /// The ISA declares delimiters that cannot work (two the same, a letter, a space).
        public static let invalidDelimiters = Code("x12.invalidDelimiters")
        /// A segment does not begin with a valid identifier (two or three capitals or digits).
        public static let invalidSegment = Code("x12.invalidSegment")
        /// A segment stands where it cannot (a CLP outside ST…SE, an SVC before any CLP).
        public static let unexpectedSegment = Code("x12.unexpectedSegment")
        /// The transaction set is not the one the reader handles (a 999 given to the 835 reader).
        public static let wrongTransactionSet = Code("x12.wrongTransactionSet")
        /// A monetary element is not a decimal amount in dollars and cents.
        public static let invalidAmount = Code("x12.invalidAmount")
        /// A required element is empty and no reasonable value can stand in for it.
        public static let missingElement = Code("x12.missingElement")
    }

    /// What went wrong.
    public var code: Code
    /// The 1-based position of the segment in the text, when one segment is to blame.
    public var segmentNumber: Int?
    /// The segment identifier, such as `CLP`, when known.
    public var segmentIdentifier: String?
    /// The element position (1-based, X12 numbering), when one element is to blame.
    public var elementPosition: Int?
    /// A plain-language explanation.
    public var message: String

    /// Creates an error.
    public init(
        _ code: Code, segmentNumber: Int? = nil, segmentIdentifier: String? = nil, elementPosition: Int? = nil,
        message: String
    ) {
        self.code = code
        self.segmentNumber = segmentNumber
        self.segmentIdentifier = segmentIdentifier
        self.elementPosition = elementPosition
        self.message = message
    }

    /// An error about `segment`, optionally one of its elements.
    init(_ code: Code, _ segment: X12Segment, element position: Int? = nil, _ message: String) {
        self.init(code, segmentNumber: segment.number, segmentIdentifier: segment.identifier,
                  elementPosition: position, message: message)
    }

    /// `segment 12 (CLP03): ` followed by the message.
    public var description: String {
        X12ReadWarning.locate(segmentNumber: segmentNumber, identifier: segmentIdentifier, element: elementPosition)
            + message
    }
}
