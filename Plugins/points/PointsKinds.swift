import GongzhiPluginSDK
import GongzhiPoints
import GongzhiPointsSchemas
import GongzhiRPC
import GongzhiSchemas
import SwiftProtobuf

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension Gongzhi_Points_V1_Ledger: ObjectKind { public static var kindName: String { "PointsLedger" } }
extension Gongzhi_Points_V1_Account: ObjectKind { public static var kindName: String { "PointsAccount" } }
extension Gongzhi_Points_V1_Transfer: ObjectKind { public static var kindName: String { "PointsTransfer" } }
extension Gongzhi_Points_V1_EarningRule: ObjectKind { public static var kindName: String { "EarningRule" } }
extension Gongzhi_Points_V1_ServiceRecord: ObjectKind { public static var kindName: String { "ServiceRecord" } }
extension Gongzhi_Points_V1_Venue: ObjectKind { public static var kindName: String { "PointsVenue" } }
extension Gongzhi_Points_V1_Good: ObjectKind { public static var kindName: String { "PointsGood" } }
extension Gongzhi_Points_V1_Redemption: ObjectKind { public static var kindName: String { "Redemption" } }

/// The points plugin's kinds, for registering them with the host and writing them.
enum PointsKinds {
    /// Every kind the plugin owns: its name and its message's full name.
    static let all: [(name: String, message: String)] = [
        (Ledger.kindName, Ledger.protoMessageName),
        (Account.kindName, Account.protoMessageName),
        (Transfer.kindName, Transfer.protoMessageName),
        (EarningRule.kindName, EarningRule.protoMessageName),
        (ServiceRecord.kindName, ServiceRecord.protoMessageName),
        (Venue.kindName, Venue.protoMessageName),
        (Good.kindName, Good.protoMessageName),
        (Redemption.kindName, Redemption.protoMessageName),
    ]

    /// The descriptors the service's stubs carry, which define every kind and what it uses.
    static func fileDescriptorSet() throws -> Data {
        guard let set = RPCFileDescriptorSet(base64: Gongzhi_Points_V1_Points.fileDescriptorSetBase64) else {
            throw RPCError(code: .internal, message: "the embedded descriptors of the points service do not decode")
        }
        return set.bytes
    }

    /// The object an account is stored as.
    static func object(_ account: Account) -> Gongzhi_Host_V1_Object {
        wire(
            Account.kindName,
            account.id,
            account,
            labels: [
                "ledger": account.ledger, "holder-kind": AccountID.word(for: account.holderKind),
                "community": account.communityCode,
            ]
        )
    }

    static func object(_ transfer: Transfer) -> Gongzhi_Host_V1_Object {
        wire(Transfer.kindName, transfer.id, transfer, labels: [:])
    }

    static func object(_ ledger: Ledger) -> Gongzhi_Host_V1_Object {
        wire(Ledger.kindName, ledger.code, ledger, labels: [:])
    }

    static func object(_ rule: EarningRule) -> Gongzhi_Host_V1_Object {
        wire(
            EarningRule.kindName,
            rule.code,
            rule,
            labels: ["ledger": rule.ledger, "source": PointsBook.word(rule.source)]
        )
    }

    static func object(_ record: ServiceRecord) -> Gongzhi_Host_V1_Object {
        wire(
            ServiceRecord.kindName,
            record.id,
            record,
            labels: ["rule": record.ruleCode, "state": word(record.state), "community": record.communityCode]
        )
    }

    static func object(_ venue: Venue) -> Gongzhi_Host_V1_Object {
        wire(Venue.kindName, venue.id, venue, labels: ["community": venue.communityCode])
    }

    static func object(_ good: Good) -> Gongzhi_Host_V1_Object {
        wire(Good.kindName, good.id, good, labels: ["venue": good.venueID, "ledger": good.ledger])
    }

    static func object(_ redemption: Redemption) -> Gongzhi_Host_V1_Object {
        wire(
            Redemption.kindName,
            redemption.id,
            redemption,
            labels: ["state": PointsBook.word(redemption.state), "venue": redemption.venueID]
        )
    }

    private static func wire(
        _ kind: String,
        _ id: String,
        _ message: some SwiftProtobuf.Message,
        labels: [String: String]
    ) -> Gongzhi_Host_V1_Object {
        var object = Gongzhi_Host_V1_Object()
        object.kind = kind
        object.id = id
        object.labels = labels.filter { !$0.value.isEmpty }
        object.data = (try? message.serializedBytes()) ?? Data()
        return object
    }

    /// "recorded", "confirmed", "rejected", "credited", "not-credited".
    static func word(_ state: ServiceRecord.State) -> String {
        switch state {
        case .recorded: "recorded"
        case .confirmed: "confirmed"
        case .rejected: "rejected"
        case .credited: "credited"
        case .notCredited: "not-credited"
        case .unspecified, .UNRECOGNIZED: "unknown"
        }
    }
}
