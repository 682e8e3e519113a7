import Billing
import Foundation
import Testing

/// RFC 6238 TOTP, base32 and the provisioning URI; recovery codes.
@Suite struct TOTPTests {
    /// The RFC 6238 Appendix B secret for SHA-1: the ASCII bytes of "12345678901234567890".
    let rfcSecret = Array("12345678901234567890".utf8)

    /// RFC 6238 Appendix B, the SHA-1 rows: time in seconds since 1970 → 8-digit code.
    @Test(arguments: [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ] as [(Int, String)])
    func rfc6238Vectors(seconds: Int, expected: String) {
        let totp = TOTP(secret: rfcSecret, digits: 8)
        let date = Date(timeIntervalSince1970: TimeInterval(seconds))
        #expect(totp.code(at: date) == expected)
        #expect(totp.verify(expected, at: date, window: 0) == seconds / 30)
        // Six digits are the same truncation, modulo 10^6: the last six of the eight.
        #expect(TOTP(secret: rfcSecret).code(at: date) == String(expected.suffix(6)))
    }

    @Test func acceptsOneStepEitherSideByDefaultAndNoFurther() {
        let totp = TOTP(secret: TOTP.generateSecret())
        let now = Date(timeIntervalSince1970: 1_700_000_015)
        let step = totp.timeStep(at: now)
        #expect(totp.verify(totp.code(at: now), at: now) == step)
        #expect(totp.verify(totp.code(forStep: step - 1), at: now) == step - 1)
        #expect(totp.verify(totp.code(forStep: step + 1), at: now) == step + 1)
        #expect(totp.verify(totp.code(forStep: step - 2), at: now) == nil)
        #expect(totp.verify(totp.code(forStep: step + 2), at: now) == nil)
        #expect(totp.verify(totp.code(forStep: step - 2), at: now, window: 2) == step - 2)
        #expect(totp.verify(totp.code(forStep: step - 1), at: now, window: 0) == nil)
    }

    @Test func theReturnedStepLetsTheCallerRefuseAReusedCode() throws {
        let totp = TOTP(secret: TOTP.generateSecret())
        let first = Date(timeIntervalSince1970: 1_700_000_010)  // the first second of a step
        let code = totp.code(at: first)
        let lastAccepted = try #require(totp.verify(code, at: first))
        // The same code 20 seconds later (same step) and 40 seconds later (next step, inside the
        // window): it still matches, and the caller sees the step is not newer than the one used.
        for later in [first.addingTimeInterval(20), first.addingTimeInterval(40)] {
            let again = try #require(totp.verify(code, at: later))
            #expect(again == lastAccepted)
            #expect(!(again > lastAccepted))
        }
        // The next code is a newer step.
        let next = first.addingTimeInterval(30)
        #expect(try #require(totp.verify(totp.code(at: next), at: next)) > lastAccepted)
    }

    @Test func malformedCodesMatchNothing() {
        let totp = TOTP(secret: rfcSecret)
        let date = Date(timeIntervalSince1970: 59)
        let code = totp.code(at: date)
        #expect(totp.verify(String(code.prefix(3)) + " " + String(code.suffix(3)), at: date) != nil)
        for bad in ["", "12345", "1234567", "abcdef", "12345a", "١٢٣٤٥٦", code + "0", "-" + code.dropFirst()] {
            #expect(totp.verify(bad, at: date) == nil, "\(bad)")
        }
        // Dates no clock produces do not trap.
        _ = totp.code(at: .distantFuture)
        _ = totp.code(at: .distantPast)
        _ = totp.code(at: Date(timeIntervalSince1970: .infinity))
        _ = totp.code(at: Date(timeIntervalSince1970: .nan))
    }

    @Test func base32FollowsRFC4648() {
        // RFC 4648 §10, without padding.
        let vectors = ["": "", "f": "MY", "fo": "MZXQ", "foo": "MZXW6", "foob": "MZXW6YQ", "fooba": "MZXW6YTB",
                       "foobar": "MZXW6YTBOI"]
        for (plain, encoded) in vectors {
            #expect(TOTP.encodeBase32(Array(plain.utf8)) == encoded)
            #expect(TOTP.decodeBase32(encoded) == Array(plain.utf8))
        }
        #expect(TOTP.decodeBase32("MZXW6YQ=") == Array("foob".utf8))
        #expect(TOTP.decodeBase32("mzxw 6ytb-oi") == Array("foobar".utf8))
        #expect(TOTP(secret: rfcSecret).base32Secret == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
        for bad in ["MZXW6Y!", "M", "MZX", "MZXW6Y", "MZ=XW", "MZXW1", "MZXW8"] {
            #expect(TOTP.decodeBase32(bad) == nil, "\(bad)")
        }
        for _ in 0..<50 {
            let secret = TOTP.generateSecret()
            #expect(secret.count == 20)
            #expect(TOTP.decodeBase32(TOTP(secret: secret).base32Secret) == secret)
        }
        #expect(TOTP.generateSecret() != TOTP.generateSecret())
    }

    @Test func provisioningURIIsPercentEncoded() throws {
        let totp = TOTP(secret: rfcSecret)
        let uri = totp.provisioningURI(issuer: "Acme Billing", account: "jane.doe@example.com")
        #expect(uri == "otpauth://totp/Acme%20Billing:jane.doe@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
            + "&issuer=Acme%20Billing&algorithm=SHA1&digits=6&period=30")

        let awkward = totp.provisioningURI(issuer: "A&B: Co?", account: "jo+1@x.com/é")
        #expect(awkward.hasPrefix("otpauth://totp/A%26B%3A%20Co%3F:jo%2B1@x.com%2F%C3%A9?secret="))
        let components = try #require(URLComponents(string: awkward))
        #expect(components.scheme == "otpauth")
        #expect(components.host == "totp")
        #expect(components.path == "/A&B: Co?:jo+1@x.com/é")
        let query = Dictionary(uniqueKeysWithValues: (components.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        #expect(query == ["secret": "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "issuer": "A&B: Co?", "algorithm": "SHA1",
                          "digits": "6", "period": "30"])
    }

    @Test func recoveryCodesAreUnambiguousAndDistinct() throws {
        let codes = RecoveryCodes.generate()
        #expect(codes.count == 10)
        #expect(Set(codes).count == 10)
        let alphabet = Set(RecoveryCodes.alphabet)
        for code in codes {
            let parts = code.split(separator: "-", omittingEmptySubsequences: false)
            #expect(parts.map(\.count) == [4, 4, 2], "\(code)")
            #expect(parts.joined().allSatisfy(alphabet.contains), "\(code)")
            #expect(RecoveryCodes.normalized(code) == code)
            #expect(RecoveryCodes.normalized(" " + code.uppercased().replacingOccurrences(of: "-", with: " ")) == code)
        }
        #expect(!RecoveryCodes.alphabet.contains { "01ilo".contains($0) })
        #expect(RecoveryCodes.generate(count: 3).count == 3)
        #expect(RecoveryCodes.normalized("abcd-efgh-j") == nil)
        #expect(RecoveryCodes.normalized("abcd-efgh-j0") == nil)
        #expect(RecoveryCodes.normalized("abcd-efgh-jkm") == nil)
    }
}

/// scrypt password hashes: format, verification, cost upgrades, malformed input, normalization.
@Suite struct PasswordHasherTests {
    let hasher = PasswordHasher(cost: .testing)

    @Test func hashesVerifyAndWrongPasswordsDoNot() throws {
        let stored = try hasher.hash("violet tractor umbrella")
        let fields = stored.split(separator: "$", omittingEmptySubsequences: false)
        #expect(fields.count == 4)
        #expect(fields[0] == "scrypt")
        #expect(fields[1] == "ln=10,r=8,p=1")
        #expect(Data(base64Encoded: String(fields[2]) + "==")?.count == 16)
        #expect(Data(base64Encoded: String(fields[3]) + "=")?.count == 32)
        #expect(!stored.contains("violet"))
        #expect(try hasher.verify("violet tractor umbrella", against: stored))
        #expect(try !hasher.verify("violet tractor umbrellA", against: stored))
        #expect(try !hasher.verify("", against: stored))
    }

    @Test func eachHashHasItsOwnSalt() throws {
        let first = try hasher.hash("same password here")
        let second = try hasher.hash("same password here")
        #expect(first != second)
        #expect(first.split(separator: "$")[2] != second.split(separator: "$")[2])
        #expect(try hasher.verify("same password here", against: first))
        #expect(try hasher.verify("same password here", against: second))
    }

    @Test func theStoredCostIsUsedAndLowerCostsNeedRehash() throws {
        let weak = try hasher.hash("upgrade me please")
        let strong = PasswordHasher()  // the default cost; verifying `weak` still runs at ln=10
        #expect(try strong.verify("upgrade me please", against: weak))
        #expect(strong.needsRehash(weak))
        #expect(!hasher.needsRehash(weak))
        #expect(!hasher.needsRehash(weak.replacingOccurrences(of: "ln=10,", with: "ln=11,")))
        #expect(PasswordHasher(cost: .init(logN: 10, r: 8, p: 2)).needsRehash(weak))
        #expect(hasher.needsRehash("not a hash"))
    }

    @Test func alteredHashesDoNotVerify() throws {
        let stored = try hasher.hash("tamper evident")
        var fields = stored.split(separator: "$", omittingEmptySubsequences: false).map(String.init)
        var key = [UInt8](Data(base64Encoded: fields[3] + "=")!)
        key[0] ^= 0x01
        fields[3] = Data(key).base64EncodedString()  // padded base64 is read too
        #expect(try !hasher.verify("tamper evident", against: fields.joined(separator: "$")))
        let otherCost = stored.replacingOccurrences(of: "ln=10,", with: "ln=11,")
        #expect(try !hasher.verify("tamper evident", against: otherCost))
    }

    @Test(arguments: [
        "", "scrypt", "scrypt$", "scrypt$$$", "$scrypt$ln=10,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
        "bcrypt$ln=10,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
        "scrypt$ln=10,r=8$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "scrypt$r=8,ln=10,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "scrypt$ln=+10,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "scrypt$ln=99999999999999999999,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "scrypt$ln=40,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "scrypt$ln=0,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "scrypt$ln=10,r=0,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "scrypt$ln=20,r=16,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "scrypt$ln=10,r=8,p=1$!!!!$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "scrypt$ln=10,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$",
        "scrypt$ln=10,r=8,p=1$AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "scrypt$ln=10,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA$extra",
        "scrypt$ln=10,r=8,p=1$AAAAAAAAAAAAAAAAAA=AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ])
    func malformedStoredHashesThrow(stored: String) {
        #expect(throws: PasswordHasher.Failure.self) { try hasher.verify("anything at all", against: stored) }
    }

    @Test func unicodeIsNormalizedBeforeHashing() throws {
        let composed = "caf\u{E9} au lait"  // é as one scalar
        let decomposed = "cafe\u{301} au lait"  // e + combining acute accent
        #expect(composed.unicodeScalars.count != decomposed.unicodeScalars.count)
        #expect(try hasher.verify(decomposed, against: try hasher.hash(composed)))
        #expect(try hasher.verify(composed, against: try hasher.hash(decomposed)))
        // NFKC also folds compatibility forms: full-width letters and the ﬁ ligature.
        #expect(try hasher.verify("ＡＢＣ ﬁne", against: try hasher.hash("ABC fine")))
        #expect(try !hasher.verify("cafe au lait", against: try hasher.hash(composed)))
    }

    @Test func emptyAndOverlongPasswordsDoNotTrap() throws {
        let empty = try hasher.hash("")
        #expect(try hasher.verify("", against: empty))
        #expect(try !hasher.verify(" ", against: empty))
        let overlong = String(repeating: "a", count: PasswordHasher.maximumPasswordBytes + 1)
        #expect(throws: PasswordHasher.Failure.passwordTooLong) { try hasher.hash(overlong) }
        #expect(try !hasher.verify(overlong, against: empty))
        hasher.verifyDummy(overlong)
        #expect(throws: PasswordHasher.Failure.unsupportedCost(.init(logN: 30, r: 8, p: 1))) {
            try PasswordHasher(cost: .init(logN: 30, r: 8, p: 1)).hash("x")
        }
    }

    /// The production cost, once: it round-trips, and the times are printed for the record.
    @Test func defaultCostRoundTripAndTiming() throws {
        let hasher = PasswordHasher()
        #expect(hasher.cost == PasswordHasher.Cost(logN: 15, r: 8, p: 1))
        let clock = ContinuousClock()
        var stored = ""
        let hashTime = try clock.measure { stored = try hasher.hash("correct horse battery staple") }
        #expect(stored.hasPrefix("scrypt$ln=15,r=8,p=1$"))
        var matched = false
        let verifyTime = try clock.measure { matched = try hasher.verify("correct horse battery staple", against: stored) }
        #expect(matched)
        let dummyTime = clock.measure { hasher.verifyDummy("correct horse battery staple") }
        #expect(!hasher.needsRehash(stored))
        print("PasswordHasher default cost (ln=15,r=8,p=1): hash \(hashTime), verify \(verifyTime), dummy \(dummyTime)")
    }
}

/// The password policy: length, the bundled common-password list, personal tokens, patterns.
@Suite struct PasswordPolicyTests {
    @Test func theBundledListIsLoaded() {
        #expect(PasswordPolicy.commonPasswordCount >= 10_000)
        for common in ["123456", "password", "iloveyou", "letmein", "qwerty123", "password1", "summer2024",
                       "password123456", "trustno1", "michael"] {
            #expect(PasswordPolicy.isCommon(common), "\(common)")
        }
        // Case-insensitive, and with trailing digits and punctuation stripped.
        #expect(PasswordPolicy.isCommon("LetMeIn"))
        #expect(PasswordPolicy.isCommon("Dragon2024!!"))
        #expect(PasswordPolicy.isCommon("Sunshine.1987"))
        #expect(!PasswordPolicy.isCommon("violet tractor umbrella 47"))
    }

    @Test func tooShortAndTooLong() {
        #expect(PasswordPolicy.problems("short", email: nil, names: []).contains("It is shorter than 12 characters."))
        #expect(PasswordPolicy.problems("", email: nil, names: []) == ["It is shorter than 12 characters."])
        let long = String(repeating: "plum tree ", count: 13)  // 130 characters
        #expect(PasswordPolicy.problems(long, email: nil, names: []).contains("It is longer than 128 characters."))
        // Characters, not bytes: twelve accented letters are enough.
        #expect(!PasswordPolicy.problems("éàüöçñßøåæœ€", email: nil, names: []).contains {
            $0.contains("shorter")
        })
    }

    @Test func commonPasswordsAreRefused() {
        let problems = PasswordPolicy.problems("password123456", email: nil, names: [])
        #expect(problems == ["It is one of the passwords most often used or found in data breaches."])
        #expect(PasswordPolicy.problems("Football2023!", email: nil, names: []).contains {
            $0.contains("data breaches")
        })
    }

    @Test func personalTokensAreRefused() {
        let emailProblems = PasswordPolicy.problems("my-jdoe1984-secret", email: "JDoe1984@example.com", names: [])
        #expect(emailProblems == ["It contains “jdoe1984” from your email address."])
        // A piece of the local part is enough; pieces under four characters are not checked.
        #expect(PasswordPolicy.problems("margaret on the river", email: "margaret.o@example.com", names: [])
            == ["It contains “margaret” from your email address."])
        #expect(PasswordPolicy.problems("brown bread and river", email: "bo.li@example.com", names: ["Bo Li"]).isEmpty)
        #expect(PasswordPolicy.problems("Thompson family tree", email: nil, names: ["Margaret Thompson"])
            == ["It contains the name “thompson”."])
        #expect(PasswordPolicy.problems("i love acmeclinic so", email: nil, names: ["Acme Clinic"])
            == ["It contains the name “acmeclinic”."])
    }

    @Test func trivialPatternsAreRefused() {
        #expect(PasswordPolicy.problems("zzzzzzzzzzzzzz", email: nil, names: []).contains("It is one character repeated."))
        for sequence in ["abcdefghijklmn", "9876543210987", "567890123456", "qwertyuiopasdf", "ZYXWVUTSRQPONM",
                         "1qaz2wsx3edc4rfv"] {
            #expect(PasswordPolicy.problems(sequence, email: nil, names: []).contains {
                $0.hasPrefix("It is a simple sequence")
            }, "\(sequence)")
        }
        #expect(PasswordPolicy.problems("abcabcabcabc", email: nil, names: []).contains("It is the short pattern “abc” repeated."))
        #expect(PasswordPolicy.problems("x9x9x9x9x9x9", email: nil, names: []).contains("It is the short pattern “x9” repeated."))
    }

    @Test func aGoodPassphrasePasses() {
        #expect(PasswordPolicy.problems("violet tractor umbrella 47", email: "jane.doe@example.com",
                                        names: ["Jane Doe", "Acme Clinic"]).isEmpty)
        #expect(PasswordPolicy.problems("Gr@vel-Moth-Lantern", email: nil, names: []).isEmpty)
    }
}
