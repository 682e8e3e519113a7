import BillingCore
import Foundation
import Testing

private struct NoteUpdate: Codable {
    var note: Patch<String> = .absent
    var units: Patch<Int> = .absent
}

private func decode(_ json: String) throws -> NoteUpdate {
    try JSONDecoder().decode(NoteUpdate.self, from: Data(json.utf8))
}

private func encode(_ update: NoteUpdate) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    return String(decoding: try encoder.encode(update), as: UTF8.self)
}

@Suite struct PatchTests {
    // MARK: decoding

    @Test func absentKeyDecodesAsAbsent() throws {
        #expect(try decode("{}").note == .absent)
    }

    @Test func explicitNullDecodesAsNull() throws {
        #expect(try decode(#"{"note":null}"#).note == .null)
    }

    @Test func valueDecodesAsValue() throws {
        let update = try decode(#"{"note":"hi","units":3}"#)
        #expect(update.note == .value("hi"))
        #expect(update.units == .value(3))
    }

    @Test func eachFieldIsDecodedIndependently() throws {
        let update = try decode(#"{"units":null}"#)
        #expect(update.note == .absent)
        #expect(update.units == .null)
    }

    @Test func valueOfTheWrongTypeFailsToDecode() {
        #expect(throws: DecodingError.self) { try decode(#"{"note":1}"#) }
    }

    @Test func standalonePatchDecodesNullAndValue() throws {
        let patches = try JSONDecoder().decode([Patch<Int>].self, from: Data("[null, 4]".utf8))
        #expect(patches == [.null, .value(4)])
    }

    // MARK: encoding

    @Test func absentIsOmittedNullIsWrittenAndValueIsWritten() throws {
        #expect(try encode(NoteUpdate(note: .null, units: .absent)) == #"{"note":null}"#)
        #expect(try encode(NoteUpdate(note: .value("x"), units: .value(2))) == #"{"note":"x","units":2}"#)
        #expect(try encode(NoteUpdate()) == "{}")
    }

    @Test func encodingThenDecodingKeepsTheThreeStates() throws {
        let original = NoteUpdate(note: .null, units: .value(7))
        let copy = try decode(try encode(original))
        #expect(copy.note == .null)
        #expect(copy.units == .value(7))
    }

    // MARK: applying

    @Test func isPresentIsFalseOnlyWhenAbsent() {
        #expect(Patch<String>.absent.isPresent == false)
        #expect(Patch<String>.null.isPresent)
        #expect(Patch.value("x").isPresent)
    }

    @Test func optionalFieldKeepsCurrentWhenAbsent() {
        #expect(Patch<String>.absent.applied(to: Optional("old")) == "old")
        #expect(Patch<String>.absent.applied(to: String?.none) == nil)
    }

    @Test func optionalFieldIsClearedByNull() {
        #expect(Patch<String>.null.applied(to: Optional("old")) == nil)
    }

    @Test func optionalFieldTakesTheNewValue() {
        #expect(Patch.value("new").applied(to: String?.none) == "new")
    }

    @Test func requiredFieldKeepsCurrentWhenAbsentOrNull() {
        #expect(Patch<String>.absent.applied(to: "old") == "old")
        #expect(Patch<String>.null.applied(to: "old") == "old")
    }

    @Test func requiredFieldTakesTheNewValue() {
        #expect(Patch.value("new").applied(to: "old") == "new")
    }
}
