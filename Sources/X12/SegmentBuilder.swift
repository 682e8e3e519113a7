/// Appends segments to one byte buffer, element by element, cleaning data as it goes
/// (``X12Text/clean(_:maxLength:delimiters:)``), leaving out empty elements at the end of a
/// segment and counting segments since the last `ST` (for SE01).
struct SegmentBuilder {
    private(set) var bytes: [UInt8] = []
    private(set) var transactionSegmentCount = 0
    let delimiters: X12Delimiters
    private let elementSeparator: UInt8
    private let componentSeparator: UInt8
    private let terminator: [UInt8]
    /// Element separators owed for empty elements, written only if a non-empty element follows.
    private var pendingSeparators = 0
    /// Component separators owed inside the current composite.
    private var pendingComponents = 0
    private var compositeIsEmpty = true
    private var atFirstComponent = true

    init(delimiters: X12Delimiters, capacity: Int) {
        self.delimiters = delimiters
        elementSeparator = delimiters.element.asciiValue ?? UInt8(ascii: "*")
        componentSeparator = delimiters.component.asciiValue ?? UInt8(ascii: ":")
        terminator = [delimiters.segment.asciiValue ?? UInt8(ascii: "~")] + Array(delimiters.segmentSuffix.utf8)
        bytes.reserveCapacity(capacity)
    }

    /// The output as text (always ASCII).
    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Starts counting for a new transaction set (call right before writing ST).
    mutating func startTransaction() { transactionSegmentCount = 0 }

    /// Starts a segment with its identifier.
    mutating func begin(_ identifier: StaticString) {
        identifier.withUTF8Buffer { bytes.append(contentsOf: $0) }
        pendingSeparators = 0
    }

    /// Appends one element already in X12 form (codes, numbers, dates); empty means "not sent".
    mutating func raw(_ value: String) {
        pendingSeparators += 1
        guard !value.isEmpty else { return }
        flushSeparators()
        bytes.append(contentsOf: value.utf8)
    }

    /// Appends one data element after cleaning it and cutting it to `maxLength`.
    mutating func data(_ value: String?, _ maxLength: Int) {
        raw(value.map { X12Text.clean($0, maxLength: maxLength, delimiters: delimiters) } ?? "")
    }

    /// Appends an empty element.
    mutating func empty(_ count: Int = 1) { pendingSeparators += count }

    /// Starts a composite element; follow with ``component(_:)`` calls and ``endComposite()``.
    mutating func beginComposite() {
        pendingSeparators += 1
        pendingComponents = 0
        compositeIsEmpty = true
        atFirstComponent = true
    }

    /// Appends one component (already in X12 form) to the open composite; empty ones at the end are dropped.
    mutating func component(_ value: String) {
        if !atFirstComponent { pendingComponents += 1 }
        atFirstComponent = false
        guard !value.isEmpty else { return }
        if compositeIsEmpty {
            flushSeparators()
            compositeIsEmpty = false
        }
        while pendingComponents > 0 {
            bytes.append(componentSeparator)
            pendingComponents -= 1
        }
        bytes.append(contentsOf: value.utf8)
    }

    /// Closes the open composite.
    mutating func endComposite() { pendingComponents = 0 }

    /// Ends the segment, dropping any empty elements still owed.
    mutating func end() {
        bytes.append(contentsOf: terminator)
        pendingSeparators = 0
        transactionSegmentCount += 1
    }

    /// Writes a whole segment whose elements are already in X12 form.
    mutating func segment(_ identifier: StaticString, _ elements: [String]) {
        begin(identifier)
        for element in elements { raw(element) }
        end()
    }

    private mutating func flushSeparators() {
        while pendingSeparators > 0 {
            bytes.append(elementSeparator)
            pendingSeparators -= 1
        }
    }
}
