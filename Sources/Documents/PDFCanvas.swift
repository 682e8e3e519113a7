import CHaru
import Foundation

/// A thin drawing surface over libharu: US Letter pages, Helvetica text, rules, and the PDF bytes.
///
/// Text is written in WinAnsi encoding; characters outside it are transliterated (é → e) or
/// replaced, so a document never fails to render because of a name.
public final class PDFCanvas {
    private let document: HPDF_Doc
    private var page: HPDF_Page?
    private let regular: HPDF_Font
    private let bold: HPDF_Font
    /// Page width and height in points.
    public let width: Float = 612
    public let height: Float = 792
    /// Left and right margin in points.
    public let margin: Float = 54
    /// The baseline of the next line of text (points from the bottom).
    public private(set) var cursor: Float = 0
    /// Number of pages so far.
    public private(set) var pageCount = 0
    private let footer: String

    /// Starts a document; `footer` is printed at the bottom of every page.
    public init(title: String, footer: String) throws {
        guard let document = HPDF_New(nil, nil) else { throw DocumentError("libharu could not create a document") }
        self.document = document
        self.footer = footer
        HPDF_SetCompressionMode(document, UInt32(HPDF_COMP_ALL))
        HPDF_SetInfoAttr(document, HPDF_INFO_TITLE, Self.latin(title))
        HPDF_SetInfoAttr(document, HPDF_INFO_CREATOR, "Ledgerline")
        guard let regular = HPDF_GetFont(document, "Helvetica", "WinAnsiEncoding"),
              let bold = HPDF_GetFont(document, "Helvetica-Bold", "WinAnsiEncoding") else {
            HPDF_Free(document)
            throw DocumentError("libharu has no Helvetica font")
        }
        self.regular = regular
        self.bold = bold
        newPage()
    }

    deinit { HPDF_Free(document) }

    /// Starts a new page and puts the cursor at its top.
    public func newPage() {
        if let page { drawFooter(on: page) }
        let page = HPDF_AddPage(document)
        HPDF_Page_SetSize(page, HPDF_PAGE_SIZE_LETTER, HPDF_PAGE_PORTRAIT)
        self.page = page
        pageCount += 1
        cursor = height - margin
    }

    /// Moves down by `points`, starting a new page when the bottom margin is reached.
    public func advance(_ points: Float) {
        cursor -= points
        if cursor < margin + 30 { newPage() }
    }

    /// Writes one line of text at `x` on the current baseline.
    public func text(_ string: String, x: Float, size: Float = 10, bold isBold: Bool = false) {
        guard let page else { return }
        HPDF_Page_BeginText(page)
        HPDF_Page_SetFontAndSize(page, isBold ? bold : regular, size)
        HPDF_Page_TextOut(page, x, cursor, Self.latin(string))
        HPDF_Page_EndText(page)
    }

    /// Writes text right-aligned so that it ends at `right`.
    public func textRight(_ string: String, right: Float, size: Float = 10, bold isBold: Bool = false) {
        guard let page else { return }
        let font = isBold ? bold : regular
        HPDF_Page_SetFontAndSize(page, font, size)
        let width = HPDF_Page_TextWidth(page, Self.latin(string))
        text(string, x: right - width, size: size, bold: isBold)
    }

    /// Writes a line of text at the left margin and moves down.
    public func line(_ string: String, size: Float = 10, bold isBold: Bool = false, indent: Float = 0) {
        text(string, x: margin + indent, size: size, bold: isBold)
        advance(size + 4)
    }

    /// Draws a horizontal rule across the page at the cursor.
    public func rule() {
        guard let page else { return }
        HPDF_Page_SetLineWidth(page, 0.5)
        HPDF_Page_MoveTo(page, margin, cursor + 4)
        HPDF_Page_LineTo(page, width - margin, cursor + 4)
        HPDF_Page_Stroke(page)
        advance(8)
    }

    /// Finishes the document and returns its bytes.
    public func render() throws -> [UInt8] {
        if let page { drawFooter(on: page) }
        page = nil
        guard HPDF_SaveToStream(document) == HPDF_OK else { throw DocumentError("libharu could not write the PDF") }
        var size = HPDF_GetStreamSize(document)
        var bytes = [UInt8](repeating: 0, count: Int(size))
        let status = bytes.withUnsafeMutableBufferPointer { buffer in
            HPDF_ReadFromStream(document, buffer.baseAddress, &size)
        }
        guard status == HPDF_OK || status == HPDF_STREAM_EOF else { throw DocumentError("libharu could not read the PDF") }
        return Array(bytes.prefix(Int(size)))
    }

    private func drawFooter(on page: HPDF_Page) {
        HPDF_Page_BeginText(page)
        HPDF_Page_SetFontAndSize(page, regular, 8)
        HPDF_Page_TextOut(page, margin, 30, Self.latin("\(footer)   Page \(pageCount)"))
        HPDF_Page_EndText(page)
    }

    /// `text` reduced to characters WinAnsi (Latin-1) can show.
    static func latin(_ text: String) -> String {
        let folded = text.folding(options: [.diacriticInsensitive, .widthInsensitive], locale: Locale(identifier: "en_US"))
        return String(folded.unicodeScalars.map { scalar -> Character in
            switch scalar.value {
            case 0x20...0x7E: return Character(scalar)
            case 0x2013, 0x2014: return "-"
            case 0x2018, 0x2019: return "'"
            case 0x201C, 0x201D: return "\""
            default: return "?"
            }
        })
    }
}

/// A document could not be produced.
public struct DocumentError: Error, CustomStringConvertible, Sendable {
    public let description: String
    /// Creates the error.
    public init(_ description: String) { self.description = description }
}
