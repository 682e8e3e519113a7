import BillingCore
import Foundation
import Testing

@Suite struct EntityIDTests {
    let knownUUID = UUID(uuidString: "0193A5D2-C1E0-7B3F-9A00-00000000BEEF")!
    let knownText = "prc_0193a5d2c1e07b3f9a0000000000beef"

    // MARK: wire form

    @Test func encodesPrefixUnderscoreAndThirtyTwoLowercaseHexDigits() {
        #expect(IDCodec.encode(knownUUID, prefix: "prc") == knownText)
        #expect(PracticeID(uuid: knownUUID).description == knownText)
    }

    @Test func decodesTheWireFormBackToTheSameUUID() {
        #expect(IDCodec.decode(knownText, prefix: "prc") == knownUUID)
        #expect(PracticeID(knownText)?.uuid == knownUUID)
    }

    @Test func generatedIDsRoundTripThroughTheirWireForm() {
        let member = MemberID.generate()
        let key = APIKeyID.generate()
        let audit = AuditEntryID.generate()
        #expect(MemberID(member.description) == member)
        #expect(APIKeyID(key.description) == key)
        #expect(AuditEntryID(audit.description) == audit)
    }

    @Test func eachTypeUsesItsOwnPrefix() {
        #expect(PracticeID.generate().description.hasPrefix("prc_"))
        #expect(MemberID.generate().description.hasPrefix("mem_"))
        #expect(APIKeyID.generate().description.hasPrefix("key_"))
        #expect(AuditEntryID.generate().description.hasPrefix("aud_"))
    }

    @Test func generatedWireFormIsPrefixAndLowercaseHex() {
        let text = PracticeID.generate().description
        #expect(text.count == 36)
        #expect(text.dropFirst(4).allSatisfy { "0123456789abcdef".contains($0) })
    }

    // MARK: refusals

    @Test func refusesAnIDWithAnotherTypesPrefix() {
        #expect(MemberID(knownText) == nil)
        #expect(IDCodec.isValid(knownText, prefix: "mem") == false)
    }

    @Test func refusesUppercaseHex() {
        #expect(PracticeID("prc_0193A5D2C1E07B3F9A0000000000BEEF") == nil)
    }

    @Test func refusesUppercasePrefix() {
        #expect(PracticeID("PRC_0193a5d2c1e07b3f9a0000000000beef") == nil)
    }

    @Test(arguments: [
        "prc_0193a5d2c1e07b3f9a0000000000bee",  // 31 digits
        "prc_0193a5d2c1e07b3f9a0000000000beef0",  // 33 digits
        "prc-0193a5d2c1e07b3f9a0000000000beef",  // wrong separator
        "prc0193a5d2c1e07b3f9a0000000000beef0",  // no separator, right length
        "prc_0193a5d2-c1e0-7b3f-9a00-00000000",  // dashed UUID form
        "prc_0193a5d2c1e07b3f9a0000000000beeg",  // not hex
        "prc_0193a5d2c1e07b3f9a0000000000bee ",  // trailing space
        "0193a5d2c1e07b3f9a0000000000beef",  // no prefix
        "prc_",
        "",
    ])
    func refusesMalformedWireForms(text: String) {
        #expect(PracticeID(text) == nil)
    }

    // MARK: Codable

    @Test func encodesAsAJSONString() throws {
        let data = try JSONEncoder().encode([PracticeID(uuid: knownUUID)])
        #expect(String(decoding: data, as: UTF8.self) == "[\"\(knownText)\"]")
    }

    @Test func decodesFromAJSONString() throws {
        let ids = try JSONDecoder().decode([PracticeID].self, from: Data("[\"\(knownText)\"]".utf8))
        #expect(ids == [PracticeID(uuid: knownUUID)])
    }

    @Test func decodingAnotherTypesIDFailsAsDataCorrupted() {
        #expect {
            try JSONDecoder().decode([MemberID].self, from: Data("[\"\(knownText)\"]".utf8))
        } throws: { error in
            guard case DecodingError.dataCorrupted(let context) = error else { return false }
            return context.debugDescription == "must be a mem_ id"
        }
    }

    // MARK: UUIDv7

    @Test func uuidV7CarriesVersionSevenAndTheRFCVariant() {
        for _ in 0..<100 {
            let bytes = UUIDv7.make().uuid
            #expect(bytes.6 >> 4 == 0x7)
            #expect(bytes.8 >> 6 == 0b10)
        }
    }

    @Test func uuidV7StartsWithUnixMillisecondsBigEndian() {
        let milliseconds: UInt64 = 1_700_000_000_500
        let uuid = UUIDv7.make(now: Date(timeIntervalSince1970: 1_700_000_000.5)).uuid
        let prefix = [uuid.0, uuid.1, uuid.2, uuid.3, uuid.4, uuid.5].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        #expect(prefix == milliseconds)
    }

    @Test func uuidV7ForTheEpochHasAZeroTimestamp() {
        let uuid = UUIDv7.make(now: Date(timeIntervalSince1970: 0)).uuid
        #expect([uuid.0, uuid.1, uuid.2, uuid.3, uuid.4, uuid.5] == [0, 0, 0, 0, 0, 0])
    }

    @Test func uuidV7FromTheSameMillisecondDiffersInTheRandomBits() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(UUIDv7.make(now: now) != UUIDv7.make(now: now))
    }

    @Test func idsFromLaterMillisecondsSortAfterEarlierOnes() {
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        let ids = (0..<50).map { step in
            PracticeID(uuid: UUIDv7.make(now: start.addingTimeInterval(Double(step) / 1000 + 0.0005)))
        }
        #expect(ids.sorted() == ids)
    }

    @Test func wireFormsOfLaterIDsSortAfterEarlierOnes() {
        let early = PracticeID(uuid: UUIDv7.make(now: Date(timeIntervalSince1970: 1_700_000_000)))
        let late = PracticeID(uuid: UUIDv7.make(now: Date(timeIntervalSince1970: 1_700_000_000.002)))
        #expect(early < late)
        #expect(early.description < late.description)
    }
}
