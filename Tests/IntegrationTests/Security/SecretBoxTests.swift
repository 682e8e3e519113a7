import Billing
import Foundation
import BillingCore
import Testing

/// Integration secrets at rest: AES-GCM bound to the practice, with rotatable keys.
@Suite struct SecretBoxTests {
    let practiceA = PracticeID.generate()
    let practiceB = PracticeID.generate()

    @Test func sealedSecretOpensOnlyForItsPractice() throws {
        let box = try SecretBox(specification: SecretBox.generateKeySpecification(keyID: "k1"))
        let sealed = try box.seal("claimmd-account-key-123", for: practiceA)
        #expect(!sealed.contains("claimmd-account-key-123"))
        #expect(try box.open(sealed, for: practiceA) == "claimmd-account-key-123")
        #expect(throws: SecretBox.Failure.authenticationFailed) { try box.open(sealed, for: practiceB) }
    }

    @Test func alteredCiphertextIsRefused() throws {
        let box = try SecretBox(specification: SecretBox.generateKeySpecification(keyID: "k1"))
        let sealed = try box.seal("secret", for: practiceA)
        let parts = sealed.split(separator: ".", maxSplits: 2).map(String.init)
        var bytes = [UInt8](Data(base64Encoded: parts[2])!)
        bytes[bytes.count / 2] ^= 0x01  // flip one bit of the ciphertext
        let altered = parts[0] + "." + parts[1] + "." + Data(bytes).base64EncodedString()
        #expect(throws: SecretBox.Failure.authenticationFailed) { try box.open(altered, for: practiceA) }
    }

    @Test func rotationKeepsOldSecretsReadableAndSealsWithTheNewKey() throws {
        let old = SecretBox.generateKeySpecification(keyID: "k1")
        let oldBox = try SecretBox(specification: old)
        let sealedOld = try oldBox.seal("smtp-password", for: practiceA)
        let rotated = try SecretBox(specification: SecretBox.generateKeySpecification(keyID: "k2") + "," + old)
        #expect(try rotated.open(sealedOld, for: practiceA) == "smtp-password")
        #expect(rotated.needsRotation(sealedOld))
        let sealedNew = try rotated.seal("smtp-password", for: practiceA)
        #expect(sealedNew.hasPrefix("v1.k2."))
        #expect(!rotated.needsRotation(sealedNew))
        #expect(throws: SecretBox.Failure.unknownKey("k2")) { try oldBox.open(sealedNew, for: practiceA) }
    }

    @Test func badKeySpecificationsAreRefusedWithTheReason() {
        #expect(throws: SecretBox.Failure.noKey) { try SecretBox(specification: nil) }
        #expect(throws: SecretBox.Failure.self) { try SecretBox(specification: "k1:short") }
        #expect(throws: SecretBox.Failure.self) { try SecretBox(specification: "no-colon") }
    }
}
