import Foundation

/// Identifies a billable service (CPT/HCPCS/custom code with its rate): `svc_…`.
public struct ServiceID: EntityID {
    public static let prefix = "svc"
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// Identifies a service location: `loc_…`.
public struct LocationID: EntityID {
    public static let prefix = "loc"
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// Identifies a payer in the global catalog: `pyr_…`.
public struct PayerID: EntityID {
    public static let prefix = "pyr"
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// Identifies a practice × payer enrollment: `enr_…`.
public struct EnrollmentID: EntityID {
    public static let prefix = "enr"
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// Identifies a client (patient): `cli_…`.
public struct ClientID: EntityID {
    public static let prefix = "cli"
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// Identifies a contact person (guardian, billing contact): `con_…`.
public struct ContactID: EntityID {
    public static let prefix = "con"
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// Identifies an insurance policy: `pol_…`.
public struct PolicyID: EntityID {
    public static let prefix = "pol"
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// Identifies a session (appointment with services): `ses_…`.
public struct SessionID: EntityID {
    public static let prefix = "ses"
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// Identifies a signed note version: `nte_…`.
public struct NoteID: EntityID {
    public static let prefix = "nte"
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// Identifies a bill: `bil_…`.
public struct BillID: EntityID {
    public static let prefix = "bil"
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// Identifies a bill line (charge): `bln_…`.
public struct BillLineID: EntityID {
    public static let prefix = "bln"
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// Identifies a payment: `pay_…`.
public struct PaymentID: EntityID {
    public static let prefix = "pay"
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// Identifies an allocation of a payment to a bill: `alc_…`.
public struct AllocationID: EntityID {
    public static let prefix = "alc"
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// Identifies an adjustment (discount or write-off): `adj_…`.
public struct AdjustmentID: EntityID {
    public static let prefix = "adj"
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// Identifies a refund of a payment: `rfd_…`.
public struct RefundID: EntityID {
    public static let prefix = "rfd"
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// Identifies a superbill: `sbl_…`.
public struct SuperbillID: EntityID {
    public static let prefix = "sbl"
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// Identifies a generated file: `fil_…`.
public struct FileID: EntityID {
    public static let prefix = "fil"
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// A practice's integration with a plugin (`integration.configure`).
public struct IntegrationID: EntityID {
    public static let prefix = "int"
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// One message to one person through one channel.
public struct NotificationID: EntityID {
    public static let prefix = "ntf"
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// A card or bank account kept by the practice's payment processor (only its token is stored).
public struct PaymentMethodID: EntityID {
    public static let prefix = "pmt"
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// One charge asked of the payment processor.
public struct CardChargeID: EntityID {
    public static let prefix = "chg"
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}
