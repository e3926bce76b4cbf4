import GongzhiGridSchemas
import GongzhiIntakeSchemas
import GongzhiPluginSDK
import GongzhiRPC

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension Gongzhi_Intake_V1_IntakeItem: ObjectKind {
    public static var kindName: String { "IntakeItem" }
}

extension Gongzhi_Intake_V1_DeadLetter: ObjectKind {
    public static var kindName: String { "DeadLetter" }
}

extension Gongzhi_Intake_V1_SensorDevice: ObjectKind {
    public static var kindName: String { "SensorDevice" }
}

extension Gongzhi_Intake_V1_SensorAlert: ObjectKind {
    public static var kindName: String { "SensorAlert" }
}

extension Gongzhi_Grid_V1_Case: ObjectKind {
    public static var kindName: String { "Case" }
}

/// The kinds the intake module keeps in the host, and how each value is written as an object: its id, the
/// labels `gongzhictl get -l` filters by, and its place.
enum IntakeKinds {
    /// The descriptors the service's stubs carry, which define the kinds and everything they use.
    static func fileDescriptorSet() throws -> Data {
        guard let set = RPCFileDescriptorSet(base64: Gongzhi_Intake_V1_Intake.fileDescriptorSetBase64) else {
            throw RPCError(code: .internal, message: "the embedded descriptors of the intake service do not decode")
        }
        return set.bytes
    }

    /// Registers the four kinds.
    static func register(_ objects: HostObjects) async throws {
        let descriptors = try fileDescriptorSet()
        let kinds: [(name: String, message: String)] = [
            (Gongzhi_Intake_V1_IntakeItem.kindName, Gongzhi_Intake_V1_IntakeItem.protoMessageName),
            (Gongzhi_Intake_V1_DeadLetter.kindName, Gongzhi_Intake_V1_DeadLetter.protoMessageName),
            (Gongzhi_Intake_V1_SensorDevice.kindName, Gongzhi_Intake_V1_SensorDevice.protoMessageName),
            (Gongzhi_Intake_V1_SensorAlert.kindName, Gongzhi_Intake_V1_SensorAlert.protoMessageName),
        ]
        for kind in kinds {
            try await objects.registerKind(kind.name, messageName: kind.message, fileDescriptorSet: descriptors)
        }
    }

    static func item(_ value: Gongzhi_Intake_V1_IntakeItem) -> TypedObject<Gongzhi_Intake_V1_IntakeItem> {
        TypedObject(
            id: value.id,
            message: value,
            labels: [
                "source": value.source, "state": label(value.state), "type": label(value.type),
                "community": value.communityCode,
            ].filter { !$0.value.isEmpty },
            parent: value.gridCode
        )
    }

    static func deadLetter(_ value: Gongzhi_Intake_V1_DeadLetter) -> TypedObject<Gongzhi_Intake_V1_DeadLetter> {
        TypedObject(
            id: value.id,
            message: value,
            labels: [
                "source": value.source, "stage": label(value.stage), "reason": value.reasonCode,
                "state": label(value.state),
            ].filter { !$0.value.isEmpty },
            parent: value.gridCode
        )
    }

    static func device(_ value: Gongzhi_Intake_V1_SensorDevice) -> TypedObject<Gongzhi_Intake_V1_SensorDevice> {
        TypedObject(
            id: value.id,
            message: value,
            labels: ["community": value.communityCode, "gateway": value.gatewayID].filter { !$0.value.isEmpty },
            parent: value.gridCode
        )
    }

    static func alert(_ value: Gongzhi_Intake_V1_SensorAlert) -> TypedObject<Gongzhi_Intake_V1_SensorAlert> {
        TypedObject(
            id: value.id,
            message: value,
            labels: ["device": value.deviceID, "kind": value.kind, "state": label(value.state)],
            parent: value.gridCode
        )
    }

    static func label(_ state: Gongzhi_Intake_V1_ItemState) -> String {
        switch state {
        case .waiting: return "waiting"
        case .inCase: return "in-case"
        case .open: return "open"
        case .answered: return "answered"
        case .closed: return "closed"
        case .unspecified, .UNRECOGNIZED: return ""
        }
    }

    static func label(_ type: Gongzhi_Intake_V1_ItemType) -> String {
        switch type {
        case .complaint: return "complaint"
        case .report: return "report"
        case .consultation: return "consultation"
        case .help: return "help"
        case .suggestion: return "suggestion"
        case .unspecified, .UNRECOGNIZED: return ""
        }
    }

    static func label(_ stage: Gongzhi_Intake_V1_Stage) -> String {
        switch stage {
        case .decode: return "decode"
        case .validate: return "validate"
        case .locate: return "locate"
        case .classify: return "classify"
        case .route: return "route"
        case .deliver: return "deliver"
        case .unspecified, .UNRECOGNIZED: return ""
        }
    }

    static func label(_ state: Gongzhi_Intake_V1_DeadLetterState) -> String {
        switch state {
        case .open: return "open"
        case .replaying: return "replaying"
        case .replayed: return "replayed"
        case .discarded: return "discarded"
        case .unspecified, .UNRECOGNIZED: return ""
        }
    }

    static func label(_ state: Gongzhi_Intake_V1_AlertState) -> String {
        switch state {
        case .open: return "open"
        case .cleared: return "cleared"
        case .unspecified, .UNRECOGNIZED: return ""
        }
    }
}
