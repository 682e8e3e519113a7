/// Splits X12 text into segments, reading the delimiters from each ISA.
///
/// Tolerant of what real files carry: a UTF-8 byte-order mark, indentation before segments, CR/LF
/// line breaks after the segment terminator (or as the terminator), and line breaks inside a
/// segment when the terminator is not a line break (files wrapped at 80 columns). Several
/// interchanges may follow one another, each with its own delimiters. A text that starts with
/// `ST` or `GS` instead of `ISA` (a bare transaction set, as some payer portals export) is read
/// with the element separator that follows the identifier, the first other punctuation as the
/// segment terminator and `:` as the component separator.
public enum X12Tokenizer {
    /// Reads every segment of `text`.
    ///
    /// - Parameter text: a whole X12 file.
    /// - Returns: the segments in order, numbered from 1.
    /// - Throws: ``X12ReadError`` with code `.empty`, `.notX12`, `.truncated` (an ISA cut short),
    ///   `.invalidDelimiters` or `.invalidSegment`, naming the segment number.
    public static func segments(in text: String) throws -> [X12Segment] {
        var segments: [X12Segment] = []
        segments.reserveCapacity(text.utf8.count / 40)
        try forEachSegment(in: text) { segments.append($0) }
        return segments
    }

    /// Hands each segment of `text` to `body` as soon as it is read, without keeping them all.
    ///
    /// - Throws: what ``segments(in:)`` throws, or what `body` throws.
    public static func forEachSegment(in text: String, _ body: (X12Segment) throws -> Void) throws {
        var text = text
        try text.withUTF8 { buffer in try forEachSegment(in: buffer, body) }
    }

    /// The delimiters the first interchange of `text` declares (or, for a bare transaction set,
    /// the ones the tokenizer would assume).
    ///
    /// - Throws: ``X12ReadError`` as ``segments(in:)`` does for the first segment.
    public static func delimiters(of text: String) throws -> X12Delimiters {
        var text = text
        return try text.withUTF8 { buffer in
            var index = startIndex(of: buffer)
            skipWhitespace(buffer, &index)
            let found = try firstDelimiters(buffer, at: index)
            return X12Delimiters(
                element: Character(Unicode.Scalar(found.element)),
                component: Character(Unicode.Scalar(found.component)),
                repetition: Character(Unicode.Scalar(found.repetition ?? UInt8(ascii: "^"))),
                segment: Character(Unicode.Scalar(found.terminator)))
        }
    }

    // MARK: - Internals

    struct Delimiters {
        var element: UInt8
        var component: UInt8
        var repetition: UInt8?
        var terminator: UInt8

        /// Line breaks inside a segment are noise unless they are the terminator itself.
        var stripsLineBreaks: Bool { terminator != 10 && terminator != 13 }
    }

    static func forEachSegment(in bytes: UnsafeBufferPointer<UInt8>, _ body: (X12Segment) throws -> Void) throws {
        var index = startIndex(of: bytes)
        skipWhitespace(bytes, &index)
        var delimiters = try firstDelimiters(bytes, at: index)
        var number = 0
        while true {
            skipWhitespace(bytes, &index)
            guard index < bytes.count else { break }
            if bytes[index] == delimiters.terminator {  // an empty segment (`~~`) carries nothing
                index += 1
                continue
            }
            number += 1
            if isInterchangeHeader(bytes, at: index) {
                let header = try readInterchangeHeader(bytes, at: index, number: number)
                delimiters = header.delimiters
                try body(header.segment)
                index = header.next
                continue
            }
            let (segment, next) = try readSegment(bytes, at: index, number: number, delimiters: delimiters)
            try body(segment)
            index = next
        }
    }

    /// Past a UTF-8 byte-order mark, if there is one.
    static func startIndex(of bytes: UnsafeBufferPointer<UInt8>) -> Int {
        bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0
    }

    static func isWhitespace(_ byte: UInt8) -> Bool { byte == 32 || byte == 9 || byte == 10 || byte == 13 }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
    }

    static func skipWhitespace(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int) {
        while index < bytes.count && isWhitespace(bytes[index]) { index += 1 }
    }

    static func isInterchangeHeader(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Bool {
        index + 3 < bytes.count && bytes[index] == UInt8(ascii: "I") && bytes[index + 1] == UInt8(ascii: "S")
            && bytes[index + 2] == UInt8(ascii: "A") && !isAlphanumeric(bytes[index + 3])
            && !isWhitespace(bytes[index + 3])
    }

    /// The delimiters in force at the first segment: from its ISA, or guessed for a bare `ST`/`GS`.
    static func firstDelimiters(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) throws -> Delimiters {
        guard index < bytes.count else {
            throw X12ReadError(.empty, segmentNumber: 1, message: "the text holds no segments")
        }
        if isInterchangeHeader(bytes, at: index) {
            return try readInterchangeHeader(bytes, at: index, number: 1).delimiters
        }
        let startsBare = index + 2 < bytes.count
            && ((bytes[index] == UInt8(ascii: "S") && bytes[index + 1] == UInt8(ascii: "T"))
                || (bytes[index] == UInt8(ascii: "G") && bytes[index + 1] == UInt8(ascii: "S")))
            && !isAlphanumeric(bytes[index + 2]) && !isWhitespace(bytes[index + 2])
        guard startsBare else {
            throw X12ReadError(.notX12, segmentNumber: 1,
                               message: "the text does not start with an ISA interchange header (it starts with "
                                   + "\"\(excerpt(bytes, from: index))\")")
        }
        let element = bytes[index + 2]
        var scan = index + 3
        while scan < bytes.count, isAlphanumeric(bytes[scan]) || bytes[scan] == element || bytes[scan] == 32 {
            scan += 1
        }
        let terminator = scan < bytes.count ? bytes[scan] : UInt8(ascii: "~")
        var component = UInt8(ascii: ":")
        if component == element || component == terminator { component = UInt8(ascii: ">") }
        return Delimiters(element: element, component: component, repetition: nil, terminator: terminator)
    }

    /// Reads an ISA: the element separator is the byte after `ISA`, ISA16 is the component
    /// separator and the byte right after it terminates the segment.
    static func readInterchangeHeader(
        _ bytes: UnsafeBufferPointer<UInt8>, at start: Int, number: Int
    ) throws -> (segment: X12Segment, delimiters: Delimiters, next: Int) {
        let element = bytes[start + 3]
        var separators: [Int] = [start + 3]
        var scan = start + 4
        while separators.count < 16 && scan < bytes.count {
            if bytes[scan] == element { separators.append(scan) }
            scan += 1
        }
        guard separators.count == 16 else {
            throw X12ReadError(.truncated, segmentNumber: number, segmentIdentifier: "ISA",
                               message: "the interchange header is cut short: \(separators.count) of 16 elements")
        }
        let componentIndex = separators[15] + 1
        guard componentIndex + 1 < bytes.count else {
            throw X12ReadError(.truncated, segmentNumber: number, segmentIdentifier: "ISA", elementPosition: 16,
                               message: "the interchange header ends before its component separator and terminator")
        }
        let component = bytes[componentIndex]
        let terminator = bytes[componentIndex + 1]
        var elements: [String] = []
        elements.reserveCapacity(16)
        for position in 0..<15 {
            let from = separators[position] + 1
            let to = separators[position + 1]
            // ISA01–ISA15 never hold line breaks; a file wrapped at a fixed width may put one there.
            elements.append(String(decoding: bytes[from..<to].filter { $0 != 10 && $0 != 13 }, as: UTF8.self))
        }
        elements.append(String(decoding: CollectionOfOne(component), as: UTF8.self))
        // A terminator found inside the header means it has fewer than 16 elements, and the
        // 16 separators counted above ran on into the following segments.
        if bytes[start..<separators[15]].contains(terminator) && terminator != 32 {
            throw X12ReadError(.truncated, segmentNumber: number, segmentIdentifier: "ISA",
                               message: "the interchange header has fewer than 16 elements")
        }
        let repetitionElement = elements[10].utf8
        let repetition: UInt8? = repetitionElement.count == 1 && !isAlphanumeric(repetitionElement.first!)
            ? repetitionElement.first : nil
        var all = [element, component, terminator]
        if let repetition { all.append(repetition) }
        guard Set(all).count == all.count else {
            throw X12ReadError(.invalidDelimiters, segmentNumber: number, segmentIdentifier: "ISA",
                               message: "the element separator \(show(element)), component separator (ISA16) "
                                   + "\(show(component)), repetition separator (ISA11) "
                                   + "\(repetition.map(show) ?? "none") and segment terminator \(show(terminator)) "
                                   + "must all differ")
        }
        guard !isAlphanumeric(element), !isAlphanumeric(component), !isAlphanumeric(terminator),
              element != 32, component != 32
        else {
            throw X12ReadError(.invalidDelimiters, segmentNumber: number, segmentIdentifier: "ISA",
                               message: "a delimiter is a letter, digit or space (element \(show(element)), component "
                                   + "\(show(component)), terminator \(show(terminator)))")
        }
        let delimiters = Delimiters(element: element, component: component, repetition: repetition,
                                    terminator: terminator)
        let segment = X12Segment(identifier: "ISA", elements: elements, number: number, componentSeparator: component,
                                 repetitionSeparator: repetition)
        return (segment, delimiters, componentIndex + 2)
    }

    /// Reads one segment from `start` up to its terminator (or the end of the text).
    static func readSegment(
        _ bytes: UnsafeBufferPointer<UInt8>, at start: Int, number: Int, delimiters: Delimiters
    ) throws -> (segment: X12Segment, next: Int) {
        var end = start
        var sawLineBreak = false
        while end < bytes.count && bytes[end] != delimiters.terminator {
            if bytes[end] == 10 || bytes[end] == 13 { sawLineBreak = true }
            end += 1
        }
        let next = end + 1
        var last = end
        while last > start && isWhitespace(bytes[last - 1]) { last -= 1 }
        let body = UnsafeBufferPointer(rebasing: bytes[start..<last])
        let strip = sawLineBreak && delimiters.stripsLineBreaks
        var identifierEnd = 0
        while identifierEnd < body.count && body[identifierEnd] != delimiters.element { identifierEnd += 1 }
        var identifierBytes = Array(body[0..<identifierEnd])
        if strip { identifierBytes.removeAll { $0 == 10 || $0 == 13 } }
        guard identifierBytes.withUnsafeBufferPointer(isSegmentIdentifier) else {
            throw X12ReadError(.invalidSegment, segmentNumber: number,
                               message: "\"\(excerpt(bytes, from: start))\" does not begin with a segment identifier "
                                   + "(two or three capital letters or digits followed by \(show(delimiters.element)))")
        }
        let identifier = String(decoding: identifierBytes, as: UTF8.self)
        var elementCount = 0
        for byte in body[identifierEnd...] where byte == delimiters.element { elementCount += 1 }
        var fields: [String] = []
        fields.reserveCapacity(elementCount)
        var fieldStart = identifierEnd + 1
        if identifierEnd < body.count {
            for position in fieldStart...body.count
            where position == body.count || body[position] == delimiters.element {
                let field = UnsafeBufferPointer(rebasing: body[fieldStart..<position])
                if strip && field.contains(where: { $0 == 10 || $0 == 13 }) {
                    fields.append(String(decoding: field.filter { $0 != 10 && $0 != 13 }, as: UTF8.self))
                } else {
                    fields.append(String(decoding: field, as: UTF8.self))
                }
                fieldStart = position + 1
            }
        }
        return (X12Segment(identifier: identifier, elements: fields, number: number,
                           componentSeparator: delimiters.component, repetitionSeparator: delimiters.repetition), next)
    }

    static func isSegmentIdentifier(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count == 2 || bytes.count == 3, bytes[0] >= 65 && bytes[0] <= 90 else { return false }
        return bytes.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) }
    }

    /// Up to 20 printable characters from `index`, for messages.
    static func excerpt(_ bytes: UnsafeBufferPointer<UInt8>, from index: Int) -> String {
        let slice = bytes[index..<min(bytes.count, index + 20)]
        return String(decoding: slice.map { $0 >= 32 && $0 < 127 ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }

    /// A delimiter as messages show it: `"~"`, or `0x0A` for control characters.
    static func show(_ byte: UInt8) -> String {
        byte > 32 && byte < 127 ? "\"" + String(decoding: CollectionOfOne(byte), as: UTF8.self) + "\""
            : "0x" + String(byte, radix: 16, uppercase: true)
    }
}
