import Foundation
import GongzhiControl
import GongzhiControlTestSupport
import GongzhiSchemas
import XCTest

/// The JSON scripts read, exactly: the proto's snake_case names, every field, sorted keys.
final class JSONOutputTests: XCTestCase {
    private let mediationJSON = """
        {
          "approved_grants" : [],
          "effective_grants" : [],
          "executable" : "",
          "managed" : false,
          "manifest_path" : "",
          "name" : "mediation",
          "next_start_ms" : "0",
          "pid" : 9120,
          "reason" : "",
          "recent_crashes" : 0,
          "requested_grants" : [],
          "restarts" : 0,
          "services" : [
            "gongzhi.mediation.v1.Mediation"
          ],
          "since_ms" : "1763729700000",
          "socket_path" : "/srv/mediation/plugin.sock",
          "state" : "attached",
          "uid" : 0,
          "user" : "",
          "version" : "2.1.0"
        }
        """

    func testStatus() {
        var status = Fixtures.hostStatus
        status.plugins = [Fixtures.mediation]
        var limit = Gongzhi_Host_V1_LimitCount()
        limit.name = "connections.max_per_uid"
        limit.count = 3
        limit.detail = "uid 1000"
        status.limits = [limit]
        XCTAssertEqual(
            JSONOutput.status(status),
            """
            {
              "config_path" : "/etc/gongzhi/host.toml",
              "data_dir" : "/var/lib/gongzhi",
              "isolation" : "isolated: each plugin runs as a user of its own",
              "limits" : [
                {
                  "count" : "3",
                  "detail" : "uid 1000",
                  "name" : "connections.max_per_uid"
                }
              ],
              "pid" : 4242,
              "plugins" : [
            \(indented(mediationJSON, by: 4))
              ],
              "protocol_versions" : [
                "gongzhi-plugin/1"
              ],
              "resident_bytes" : "14889779",
              "runtime_dir" : "/run/gongzhi",
              "started_at_ms" : "1763729693000",
              "version" : "0.3.0"
            }

            """
        )
    }

    func testPlugins() {
        XCTAssertEqual(
            JSONOutput.plugins([Fixtures.mediation]),
            """
            {
              "plugins" : [
            \(indented(mediationJSON, by: 4))
              ]
            }

            """
        )
        XCTAssertEqual(JSONOutput.plugins([]), "{\n  \"plugins\" : []\n}\n")
    }

    func testPlugin() {
        XCTAssertEqual(JSONOutput.plugin(Fixtures.mediation), mediationJSON + "\n")
        XCTAssertEqual(
            JSONOutput.plugin(Fixtures.noticeboard),
            """
            {
              "approved_grants" : [
                "gongzhi.test.v1.Echo/Unary"
              ],
              "effective_grants" : [
                "gongzhi.test.v1.Echo/Unary"
              ],
              "executable" : "/usr/lib/gongzhi/plugins/gongzhi-noticeboard",
              "managed" : true,
              "manifest_path" : "/usr/lib/gongzhi/plugins/noticeboard.plugin.toml",
              "name" : "noticeboard",
              "next_start_ms" : "0",
              "pid" : 4301,
              "reason" : "",
              "recent_crashes" : 0,
              "requested_grants" : [
                "gongzhi.test.v1.Echo/Unary",
                "gongzhi.test.v1.Echo/ServerStream"
              ],
              "restarts" : 0,
              "services" : [
                "gongzhi.example.v1.NoticeBoard"
              ],
              "since_ms" : "1763737020000",
              "socket_path" : "/run/gongzhi/plugins/noticeboard/plugin.sock",
              "state" : "ready",
              "uid" : 998,
              "user" : "gongzhi-noticeboard",
              "version" : "1.0.0"
            }

            """
        )
    }

    func testLogLinesAreOneObjectALine() {
        XCTAssertEqual(
            Fixtures.logLines.map(JSONOutput.logLine).joined(),
            """
            {"level":"info","stream":"stdout","text":"registered with the host","time_ms":"1763737140000"}
            {"level":"critical","stream":"stderr","text":"公告 store is not writable","time_ms":"1763737141500"}

            """
        )
        let tricky = Gongzhi_Host_V1_LogLine.with { $0.text = "a\nb \"c\" /d" }
        XCTAssertEqual(
            JSONOutput.logLine(tricky),
            #"{"level":"","stream":"","text":"a\nb \"c\" /d","time_ms":"0"}"# + "\n"
        )
    }

    func testIssuedToken() {
        XCTAssertEqual(
            JSONOutput.issuedToken(Fixtures.issued),
            """
            {
              "info" : {
                "created_at_ms" : "1763733600000",
                "description" : "街道大屏",
                "expires_at_ms" : "1766329200000",
                "id" : "k7f2q9",
                "issued_by" : "admin:uid=1000",
                "kind" : "client",
                "revoked" : false,
                "scopes" : [
                  "gongzhi.grid.v1.GridService/*",
                  "gongzhi.test.v1.Echo/Unary"
                ],
                "subject" : "grid-dashboard"
              },
              "token" : "gzt_k7f2q9_c2VjcmV0LXNlY3JldA"
            }

            """
        )
    }

    func testTokens() {
        XCTAssertEqual(
            JSONOutput.tokens([Fixtures.pluginToken]),
            """
            {
              "tokens" : [
                {
                  "created_at_ms" : "1763701200000",
                  "description" : "",
                  "expires_at_ms" : "0",
                  "id" : "p3x8",
                  "issued_by" : "admin:uid=0",
                  "kind" : "plugin",
                  "revoked" : true,
                  "scopes" : [],
                  "subject" : "mediation"
                }
              ]
            }

            """
        )
        XCTAssertEqual(JSONOutput.tokens([]), "{\n  \"tokens\" : []\n}\n")
    }

    func testToken() {
        XCTAssertEqual(
            JSONOutput.token(Fixtures.expiredToken),
            """
            {
              "created_at_ms" : "1760281200000",
              "description" : "",
              "expires_at_ms" : "1762873200000",
              "id" : "old1",
              "issued_by" : "admin:uid=1000",
              "kind" : "client",
              "revoked" : false,
              "scopes" : [
                "gongzhi.intake.v1.Intake/Submit"
              ],
              "subject" : "intake"
            }

            """
        )
    }

    func testAudit() {
        XCTAssertEqual(
            JSONOutput.audit(Fixtures.auditEntries),
            """
            {
              "entries" : [
                {
                  "action" : "gongzhi.host.v1.Admin/IssueToken",
                  "detail" : "client grid-dashboard",
                  "hash" : "9a0c",
                  "outcome" : "ok",
                  "principal" : "admin:uid=1000",
                  "sequence" : "41",
                  "target" : "k7f2q9",
                  "time_ms" : "1763733600000"
                },
                {
                  "action" : "gongzhi.host.v1.Admin/Status",
                  "detail" : "uid 1001 is not in admin_uids",
                  "hash" : "77fe",
                  "outcome" : "denied",
                  "principal" : "unknown:pid=777,uid=1001",
                  "sequence" : "42",
                  "target" : "",
                  "time_ms" : "1763737080000"
                }
              ]
            }

            """
        )
    }

    func testAuditVerification() {
        let broken = Gongzhi_Host_V1_VerifyAuditResponse.with {
            $0.entries = 9_007_199_254_740_993
            $0.intact = false
            $0.path = "/var/lib/gongzhi/host/audit.log"
            $0.problem = "line 7: the hash does not follow from line 6"
        }
        XCTAssertEqual(
            JSONOutput.auditVerification(broken),
            """
            {
              "entries" : "9007199254740993",
              "intact" : false,
              "path" : "/var/lib/gongzhi/host/audit.log",
              "problem" : "line 7: the hash does not follow from line 6"
            }

            """
        )
    }

    /// Every 64-bit integer is a string, whatever its size, as in protobuf's JSON mapping; 32-bit ones are numbers.
    func testSixtyFourBitIntegersAreStringsWithEveryDigit() throws {
        var status = Fixtures.hostStatus
        status.startedAtMs = Int64.max
        status.residentBytes = UInt64.max
        let object = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(JSONOutput.status(status).utf8)) as? [String: Any]
        )
        XCTAssertEqual(object["started_at_ms"] as? String, "9223372036854775807")
        XCTAssertEqual(object["resident_bytes"] as? String, "18446744073709551615")
        XCTAssertEqual(object["pid"] as? Int, 4242)
    }

    func testEveryPluginFieldHasAKey() throws {
        // A field added to PluginStatus without a key here would leave scripts blind to it.
        let json = JSONOutput.plugin(Fixtures.noticeboard)
        let keys = try XCTUnwrap(
            JSONSerializationKeys.topLevelKeys(of: json)
        )
        XCTAssertEqual(keys.count, 19)
    }

    private func indented(_ text: String, by spaces: Int) -> String {
        let pad = String(repeating: " ", count: spaces)
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { pad + $0 }.joined(separator: "\n")
    }
}

/// Reads the keys of a JSON object with Foundation, independently of the encoder under test.
private enum JSONSerializationKeys {
    static func topLevelKeys(of json: String) -> Set<String>? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            return nil
        }
        return Set(object.keys)
    }
}
