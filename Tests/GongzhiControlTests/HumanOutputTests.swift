import Foundation
import GongzhiControl
import GongzhiControlTestSupport
import GongzhiSchemas
import XCTest

/// The tables and blocks people read, exactly, from fixed answers at a fixed time (+08:00).
final class HumanOutputTests: XCTestCase {
    private let time = Fixtures.time

    func testStatus() {
        XCTAssertEqual(
            HumanOutput.status(Fixtures.hostStatus, time: time),
            """
            version:      0.3.0
            pid:          4242
            uptime:       2h 5m (since 2025-11-21T20:54:53+08:00)
            memory:       14.2 MiB resident
            protocols:    gongzhi-plugin/1
            limits:       none
            config:       /etc/gongzhi/host.toml
            runtime dir:  /run/gongzhi
            data dir:     /var/lib/gongzhi
            isolation:    isolated: each plugin runs as a user of its own

            NAME         STATE        KIND      VERSION  PID   SINCE      RESTARTS  REASON
            noticeboard  ready        managed   1.0.0    4301  3m ago     0
            grid         backing-off  managed   0.9.2    -     20s ago    4         exited with status 1
            mediation    attached     external  2.1.0    9120  2h 5m ago  0

            """
        )
    }

    func testStatusOfAnEmptyHost() {
        XCTAssertEqual(
            HumanOutput.status(Gongzhi_Host_V1_HostStatus(), time: time),
            """
            version:      -
            pid:          -
            uptime:       -
            memory:       0 B resident
            protocols:    none
            limits:       none
            config:       -
            runtime dir:  -
            data dir:     -
            isolation:    -

            no plugins

            """
        )
    }

    func testPluginTable() {
        XCTAssertEqual(
            HumanOutput.pluginTable([Fixtures.grid, Fixtures.mediation], time: time),
            """
            NAME       STATE        KIND      VERSION  PID   SINCE      RESTARTS  REASON
            grid       backing-off  managed   0.9.2    -     20s ago    4         exited with status 1
            mediation  attached     external  2.1.0    9120  2h 5m ago  0

            """
        )
        XCTAssertEqual(HumanOutput.pluginTable([], time: time), "no plugins\n")
    }

    func testPluginDetail() {
        XCTAssertEqual(
            HumanOutput.pluginDetail(Fixtures.noticeboard, time: time),
            """
            name:              noticeboard
            state:             ready
            reason:            -
            since:             2025-11-21T22:57:00+08:00 (3m ago)
            version:           1.0.0
            kind:              managed (started and supervised by the host)
            pid:               4301
            user:              gongzhi-noticeboard (uid 998)
            restarts:          0
            recent crashes:    0
            next start:        -
            executable:        /usr/lib/gongzhi/plugins/gongzhi-noticeboard
            manifest:          /usr/lib/gongzhi/plugins/noticeboard.plugin.toml
            socket:            /run/gongzhi/plugins/noticeboard/plugin.sock
            services:          gongzhi.example.v1.NoticeBoard
            grants requested:  gongzhi.test.v1.Echo/Unary
                               gongzhi.test.v1.Echo/ServerStream
            grants approved:   gongzhi.test.v1.Echo/Unary
            grants effective:  gongzhi.test.v1.Echo/Unary

            """
        )
    }

    func testPluginDetailBackingOff() {
        XCTAssertEqual(
            HumanOutput.pluginDetail(Fixtures.grid, time: time),
            """
            name:              grid
            state:             backing-off
            reason:            exited with status 1
            since:             2025-11-21T22:59:40+08:00 (20s ago)
            version:           0.9.2
            kind:              managed (started and supervised by the host)
            pid:               -
            user:              -
            restarts:          4
            recent crashes:    3
            next start:        2025-11-21T23:00:12+08:00 (in 12s)
            executable:        /usr/lib/gongzhi/plugins/gongzhi-grid
            manifest:          /usr/lib/gongzhi/plugins/grid.plugin.toml
            socket:            -
            services:          gongzhi.grid.v1.GridService
            grants requested:  none
            grants approved:   none
            grants effective:  none

            """
        )
        XCTAssertTrue(
            HumanOutput.pluginDetail(Fixtures.mediation, time: time).contains(
                "kind:              external (attached itself)\n"
            )
        )
    }

    func testPluginChange() {
        XCTAssertEqual(
            HumanOutput.pluginChange("restarted", Fixtures.grid),
            "restarted grid: now backing-off; exited with status 1\n"
        )
        XCTAssertEqual(
            HumanOutput.pluginChange("enabled", Fixtures.noticeboard),
            "enabled noticeboard: now ready (pid 4301)\n"
        )
    }

    func testLogLines() {
        XCTAssertEqual(
            Fixtures.logLines.map { HumanOutput.logLine($0, time: time) }.joined(),
            """
            2025-11-21T22:59:00+08:00 info     [stdout] registered with the host
            2025-11-21T22:59:01+08:00 critical [stderr] 公告 store is not writable

            """
        )
    }

    func testIssuedClientToken() {
        XCTAssertEqual(
            HumanOutput.issuedToken(Fixtures.issued, time: time),
            """
            issued token k7f2q9 for client grid-dashboard
            scopes:       gongzhi.grid.v1.GridService/*
                          gongzhi.test.v1.Echo/Unary
            expires:      2025-12-21T23:00:00+08:00
            description:  街道大屏

            gzt_k7f2q9_c2VjcmV0LXNlY3JldA

            warning: the token is shown only this once; the host keeps only its hash. Store it now.

            """
        )
    }

    func testIssuedPluginToken() {
        let issued = Gongzhi_Host_V1_IssuedToken.with {
            $0.info = Fixtures.pluginToken
            $0.info.revoked = false
            $0.token = "gzt_p3x8_cGx1Z2lu"
        }
        XCTAssertEqual(
            HumanOutput.issuedToken(issued, time: time),
            """
            issued token p3x8 for plugin mediation
            scopes:       none
            expires:      never
            description:  -

            gzt_p3x8_cGx1Z2lu

            warning: the token is shown only this once; the host keeps only its hash. Store it now.
            Give it to the plugin as GONGZHI_PLUGIN_TOKEN, with GONGZHI_PLUGIN_NAME=mediation.

            """
        )
    }

    func testTokenTable() {
        XCTAssertEqual(
            HumanOutput.tokenTable([Fixtures.clientToken, Fixtures.pluginToken, Fixtures.expiredToken], time: time),
            """
            ID      KIND    SUBJECT         STATE    CREATED                    EXPIRES                    ISSUED BY       SCOPES                                                    DESCRIPTION
            k7f2q9  client  grid-dashboard  active   2025-11-21T22:00:00+08:00  2025-12-21T23:00:00+08:00  admin:uid=1000  gongzhi.grid.v1.GridService/*,gongzhi.test.v1.Echo/Unary  街道大屏
            p3x8    plugin  mediation       revoked  2025-11-21T13:00:00+08:00  never                      admin:uid=0     -
            old1    client  intake          expired  2025-10-12T23:00:00+08:00  2025-11-11T23:00:00+08:00  admin:uid=1000  gongzhi.intake.v1.Intake/Submit

            """
        )
        XCTAssertEqual(HumanOutput.tokenTable([], time: time), "no tokens\n")
    }

    func testRevokedToken() {
        XCTAssertEqual(HumanOutput.revokedToken(Fixtures.pluginToken), "revoked token p3x8 (plugin mediation)\n")
    }

    func testAuditTable() {
        XCTAssertEqual(
            HumanOutput.auditTable(Fixtures.auditEntries, time: time),
            """
            SEQ  TIME                       PRINCIPAL                 ACTION                            TARGET  OUTCOME  DETAIL
            41   2025-11-21T22:00:00+08:00  admin:uid=1000            gongzhi.host.v1.Admin/IssueToken  k7f2q9  ok       client grid-dashboard
            42   2025-11-21T22:58:00+08:00  unknown:pid=777,uid=1001  gongzhi.host.v1.Admin/Status      -       denied   uid 1001 is not in admin_uids

            """
        )
        XCTAssertEqual(HumanOutput.auditTable([], time: time), "no audit entries\n")
    }

    // MARK: Layout pieces

    func testTableAlignsWideCharactersAndKeepsCellsOnOneLine() {
        XCTAssertEqual(
            TextLayout.table(header: ["NAME", "NOTE", "N"], rows: [["街道", "a\nb\tc", "1"], ["grid", "x", "22"]]),
            """
            NAME  NOTE   N
            街道  a b c  1
            grid  x      22

            """
        )
        XCTAssertEqual(TextLayout.displayWidth("公告 board"), 10)
        XCTAssertEqual(TextLayout.displayWidth("é"), 1)
    }

    func testBytes() {
        XCTAssertEqual(TextLayout.bytes(0), "0 B")
        XCTAssertEqual(TextLayout.bytes(1023), "1023 B")
        XCTAssertEqual(TextLayout.bytes(1024), "1.0 KiB")
        XCTAssertEqual(TextLayout.bytes(1536), "1.5 KiB")
        XCTAssertEqual(TextLayout.bytes(14_889_779), "14.2 MiB")
        XCTAssertEqual(TextLayout.bytes(3 << 30), "3.0 GiB")
        XCTAssertEqual(TextLayout.bytes(UInt64.max), "16.0 EiB")
    }

    func testLocalTimeIsTheMachinesClockAndZone() {
        let local = TimeStyle.local()
        let now = Date()
        XCTAssertLessThan(abs(Double(local.nowMs) / 1000 - now.timeIntervalSince1970), 5)
        XCTAssertEqual(local.utcOffsetSeconds(local.nowMs), TimeZone.current.secondsFromGMT(for: now))
    }

    func testDurationsAndTimes() {
        XCTAssertEqual(TimeStyle.duration(seconds: 0), "0s")
        XCTAssertEqual(TimeStyle.duration(seconds: 45), "45s")
        XCTAssertEqual(TimeStyle.duration(seconds: 200), "3m 20s")
        XCTAssertEqual(TimeStyle.duration(seconds: 180), "3m")
        XCTAssertEqual(TimeStyle.duration(seconds: 7500), "2h 5m")
        XCTAssertEqual(TimeStyle.duration(seconds: 3 * 86_400 + 4 * 3600 + 59), "3d 4h")
        XCTAssertEqual(time.relative(Fixtures.nowMs), "just now")
        XCTAssertEqual(time.relative(0), "-")
        XCTAssertEqual(time.timestamp(0), "-")

        let utc = TimeStyle.fixed(nowMs: 0, utcOffsetSeconds: 0)
        XCTAssertEqual(utc.timestamp(1), "1970-01-01T00:00:00+00:00")
        XCTAssertEqual(utc.timestamp(951_782_400_000), "2000-02-29T00:00:00+00:00")
        XCTAssertEqual(utc.timestamp(-1000), "1969-12-31T23:59:59+00:00")
        let newYork = TimeStyle.fixed(nowMs: 0, utcOffsetSeconds: -5 * 3600)
        XCTAssertEqual(newYork.timestamp(Fixtures.nowMs), "2025-11-21T10:00:00-05:00")
        let kathmandu = TimeStyle.fixed(nowMs: 0, utcOffsetSeconds: 5 * 3600 + 45 * 60)
        XCTAssertEqual(kathmandu.timestamp(Fixtures.nowMs), "2025-11-21T20:45:00+05:45")
    }
}
