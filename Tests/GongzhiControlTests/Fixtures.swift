import Foundation
import GongzhiControlTestSupport
import GongzhiExampleSchemas
import GongzhiRPC
import GongzhiSchemas

@testable import GongzhiControl

/// Fixed answers of the Admin service, for output tests.
extension Fixtures {
    static let noticeboard = Gongzhi_Host_V1_PluginStatus.with {
        $0.name = "noticeboard"
        $0.state = "ready"
        $0.version = "1.0.0"
        $0.managed = true
        $0.pid = 4301
        $0.sinceMs = minutesAgo(3)
        $0.restarts = 0
        $0.services = ["gongzhi.example.v1.NoticeBoard"]
        $0.requestedGrants = ["gongzhi.test.v1.Echo/Unary", "gongzhi.test.v1.Echo/ServerStream"]
        $0.approvedGrants = ["gongzhi.test.v1.Echo/Unary"]
        $0.effectiveGrants = ["gongzhi.test.v1.Echo/Unary"]
        $0.socketPath = "/run/gongzhi/plugins/noticeboard/plugin.sock"
        $0.manifestPath = "/usr/lib/gongzhi/plugins/noticeboard.plugin.toml"
        $0.executable = "/usr/lib/gongzhi/plugins/gongzhi-noticeboard"
        $0.user = "gongzhi-noticeboard"
        $0.uid = 998
    }

    static let grid = Gongzhi_Host_V1_PluginStatus.with {
        $0.name = "grid"
        $0.state = "backing-off"
        $0.version = "0.9.2"
        $0.managed = true
        $0.sinceMs = nowMs - 20_000
        $0.restarts = 4
        $0.reason = "exited with status 1"
        $0.services = ["gongzhi.grid.v1.GridService"]
        $0.executable = "/usr/lib/gongzhi/plugins/gongzhi-grid"
        $0.manifestPath = "/usr/lib/gongzhi/plugins/grid.plugin.toml"
        $0.nextStartMs = nowMs + 12_000
        $0.recentCrashes = 3
    }

    /// The notice board's service as the host lists it, with the descriptors its plugin registered.
    static let noticeboardService = Gongzhi_Host_V1_ServiceInfo.with {
        $0.name = Gongzhi_Example_V1_NoticeBoard.serviceName
        $0.plugin = "noticeboard"
        $0.available = true
        $0.methods = [
            .with {
                $0.name = "Follow"
                $0.kind = .serverStreaming
                $0.inputType = "gongzhi.example.v1.FollowRequest"
                $0.outputType = "gongzhi.example.v1.Notice"
            },
            .with {
                $0.name = "List"
                $0.kind = .unary
                $0.inputType = "gongzhi.example.v1.ListRequest"
                $0.outputType = "gongzhi.example.v1.ListResponse"
            },
            .with {
                $0.name = "Post"
                $0.kind = .unary
                $0.inputType = "gongzhi.example.v1.PostRequest"
                $0.outputType = "gongzhi.example.v1.Notice"
            },
        ]
        $0.fileDescriptorSet =
            RPCFileDescriptorSet(base64: Gongzhi_Example_V1_NoticeBoard.fileDescriptorSetBase64)?.bytes ?? Data()
    }

    static let mediation = Gongzhi_Host_V1_PluginStatus.with {
        $0.name = "mediation"
        $0.state = "attached"
        $0.version = "2.1.0"
        $0.managed = false
        $0.pid = 9120
        $0.sinceMs = minutesAgo(125)
        $0.services = ["gongzhi.mediation.v1.Mediation"]
        $0.socketPath = "/srv/mediation/plugin.sock"
    }

    static let hostStatus = Gongzhi_Host_V1_HostStatus.with {
        $0.version = "0.3.0"
        $0.pid = 4242
        $0.startedAtMs = nowMs - (2 * 3600 + 5 * 60 + 7) * 1000
        $0.configPath = "/etc/gongzhi/host.toml"
        $0.runtimeDir = "/run/gongzhi"
        $0.dataDir = "/var/lib/gongzhi"
        $0.residentBytes = 14_889_779
        $0.plugins = [noticeboard, grid, mediation]
        $0.protocolVersions = ["gongzhi-plugin/1"]
        $0.isolation = "isolated: each plugin runs as a user of its own"
    }

    static let clientToken = Gongzhi_Host_V1_TokenInfo.with {
        $0.id = "k7f2q9"
        $0.kind = "client"
        $0.subject = "grid-dashboard"
        $0.scopes = ["gongzhi.grid.v1.GridService/*", "gongzhi.test.v1.Echo/Unary"]
        $0.createdAtMs = minutesAgo(60)
        $0.expiresAtMs = nowMs + 30 * 86_400_000
        $0.description_p = "街道大屏"
        $0.issuedBy = "admin:uid=1000"
    }

    static let pluginToken = Gongzhi_Host_V1_TokenInfo.with {
        $0.id = "p3x8"
        $0.kind = "plugin"
        $0.subject = "mediation"
        $0.createdAtMs = minutesAgo(600)
        $0.expiresAtMs = 0
        $0.revoked = true
        $0.issuedBy = "admin:uid=0"
    }

    static let expiredToken = Gongzhi_Host_V1_TokenInfo.with {
        $0.id = "old1"
        $0.kind = "client"
        $0.subject = "intake"
        $0.scopes = ["gongzhi.intake.v1.Intake/Submit"]
        $0.createdAtMs = nowMs - 40 * 86_400_000
        $0.expiresAtMs = nowMs - 10 * 86_400_000
        $0.issuedBy = "admin:uid=1000"
    }

    static let issued = Gongzhi_Host_V1_IssuedToken.with {
        $0.info = clientToken
        $0.token = "gzt_k7f2q9_c2VjcmV0LXNlY3JldA"
    }

    static let auditEntries: [Gongzhi_Host_V1_AuditEntry] = [
        .with {
            $0.sequence = 41
            $0.timeMs = minutesAgo(60)
            $0.principal = "admin:uid=1000"
            $0.action = "gongzhi.host.v1.Admin/IssueToken"
            $0.target = "k7f2q9"
            $0.outcome = "ok"
            $0.detail = "client grid-dashboard"
            $0.hash = "9a0c"
        },
        .with {
            $0.sequence = 42
            $0.timeMs = minutesAgo(2)
            $0.principal = "unknown:pid=777,uid=1001"
            $0.action = "gongzhi.host.v1.Admin/Status"
            $0.outcome = "denied"
            $0.detail = "uid 1001 is not in admin_uids"
            $0.hash = "77fe"
        },
    ]

    static let logLines: [Gongzhi_Host_V1_LogLine] = [
        .with {
            $0.timeMs = minutesAgo(1)
            $0.level = "info"
            $0.stream = "stdout"
            $0.text = "registered with the host"
        },
        .with {
            $0.timeMs = minutesAgo(1) + 1_500
            $0.level = "critical"
            $0.stream = "stderr"
            $0.text = "公告 store is not writable"
        },
    ]
}

// MARK: Objects

extension Fixtures {
    static let resident = Gongzhi_Core_V1_Resident.with {
        $0.id = "r-0001"
        $0.name = "王秀英"
        $0.phone = "13800000000"
        $0.gender = .female
        $0.birthDate = "1941-03-08"
        $0.householdID = "h-0001"
        $0.tags = [.livingAlone, .elderly]
        $0.registeredHere = true
    }

    static let residentObject = Gongzhi_Host_V1_Object.with {
        $0.kind = "Resident"
        $0.id = "r-0001"
        $0.revision = 42
        $0.labels = ["tag": "elderly", "grid": "110105001001001"]
        $0.parent = "h-0001"
        $0.createdAtMs = nowMs - (3 * 86_400 + 4 * 3600) * 1000
        $0.updatedAtMs = minutesAgo(5)
        $0.owner = "host"
        $0.data = try! resident.serializedBytes()
    }

    /// The resident as a caller without the grant for personal data reads it.
    static let redactedResidentObject = Gongzhi_Host_V1_Object.with {
        $0 = residentObject
        var withheld = resident
        withheld.phone = ""
        $0.data = try! withheld.serializedBytes()
        $0.redactedFields = ["phone"]
    }

    static let gridCell = Gongzhi_Core_V1_Grid.with {
        $0.code = "110105001001001"
        $0.name = "第一网格"
        $0.communityCode = "110105001001"
        $0.workers = [
            .with {
                $0.name = "李强"
                $0.phone = "13900000001"
                $0.fullTime = true
            }
        ]
    }

    static let gridObject = Gongzhi_Host_V1_Object.with {
        $0.kind = "Grid"
        $0.id = "110105001001001"
        $0.revision = 7
        $0.parent = "110105001001"
        $0.createdAtMs = 1_763_650_800_250
        $0.updatedAtMs = 1_763_650_800_250
        $0.owner = "host"
        $0.data = try! gridCell.serializedBytes()
    }

    static let caseObject = Gongzhi_Host_V1_Object.with {
        $0.kind = "Case"
        $0.id = "c-1"
        $0.revision = 13
        $0.createdAtMs = minutesAgo(2)
        $0.updatedAtMs = minutesAgo(2)
        $0.owner = "grid"
        $0.data = Data([0x0A, 0x03, 0x63, 0x2D, 0x31])
    }
}
