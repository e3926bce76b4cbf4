import GongzhiSchemas

/// What `gongzhictl` prints for people: one pure function per answer of the Admin service.
///
/// Absolute times are local ISO-8601 without fractional seconds; a plugin's "since" in tables, and the
/// host's uptime, are relative (`3m ago`, `2h 5m`). Every string ends with a newline.
public enum HumanOutput {
    // MARK: Host

    /// `gongzhictl status`: the host's version, pid, uptime, memory and folders, then its plugins.
    public static func status(_ status: Gongzhi_Host_V1_HostStatus, time: TimeStyle) -> String {
        let uptime =
            status.startedAtMs == 0
            ? "-"
            : "\(TimeStyle.duration(seconds: (time.nowMs - status.startedAtMs) / 1000)) "
                + "(since \(time.timestamp(status.startedAtMs)))"
        let host = TextLayout.fields([
            ("version", [orDash(status.version)]),
            ("pid", [pid(status.pid)]),
            ("uptime", [uptime]),
            ("memory", [TextLayout.bytes(status.residentBytes) + " resident"]),
            ("protocols", status.protocolVersions),
            ("limits", status.limits.map(limitHit)),
            ("config", [orDash(status.configPath)]),
            ("runtime dir", [orDash(status.runtimeDir)]),
            ("data dir", [orDash(status.dataDir)]),
            ("isolation", [orDash(status.isolation)]),
        ])
        return host + "\n" + pluginTable(status.plugins, time: time)
    }

    /// One limit's hits: `connections.max_per_uid  12  (uid 1000)`.
    private static func limitHit(_ limit: Gongzhi_Host_V1_LimitCount) -> String {
        "\(limit.name) \(limit.count)" + (limit.detail.isEmpty ? "" : " (last: \(limit.detail))")
    }

    // MARK: Plugins

    /// `gongzhictl plugins list`: one row a plugin.
    public static func pluginTable(_ plugins: [Gongzhi_Host_V1_PluginStatus], time: TimeStyle) -> String {
        guard !plugins.isEmpty else { return "no plugins\n" }
        return TextLayout.table(
            header: ["NAME", "STATE", "KIND", "VERSION", "PID", "SINCE", "RESTARTS", "REASON"],
            rows: plugins.map { plugin in
                [
                    plugin.name,
                    plugin.state,
                    plugin.managed ? "managed" : "external",
                    orDash(plugin.version),
                    pid(plugin.pid),
                    time.relative(plugin.sinceMs),
                    String(plugin.restarts),
                    plugin.reason,
                ]
            }
        )
    }

    /// `gongzhictl plugins describe NAME`: every field of the plugin's status.
    public static func pluginDetail(_ plugin: Gongzhi_Host_V1_PluginStatus, time: TimeStyle) -> String {
        TextLayout.fields([
            ("name", [plugin.name]),
            ("state", [orDash(plugin.state)]),
            ("reason", [orDash(plugin.reason)]),
            ("since", [time.timestampAndRelative(plugin.sinceMs)]),
            ("version", [orDash(plugin.version)]),
            (
                "kind",
                [plugin.managed ? "managed (started and supervised by the host)" : "external (attached itself)"]
            ),
            ("pid", [pid(plugin.pid)]),
            ("user", [plugin.user.isEmpty ? "-" : "\(plugin.user) (uid \(plugin.uid))"]),
            ("restarts", [String(plugin.restarts)]),
            ("recent crashes", [String(plugin.recentCrashes)]),
            ("next start", [time.timestampAndRelative(plugin.nextStartMs)]),
            ("executable", [orDash(plugin.executable)]),
            ("manifest", [orDash(plugin.manifestPath)]),
            ("socket", [orDash(plugin.socketPath)]),
            ("services", plugin.services),
            ("grants requested", plugin.requestedGrants),
            ("grants approved", plugin.approvedGrants),
            ("grants effective", plugin.effectiveGrants),
        ])
    }

    /// `gongzhictl plugins enable|disable|restart NAME`: what was done and the state the plugin is now in.
    /// `action` is the past tense: `enabled`, `disabled`, `restarted`.
    public static func pluginChange(_ action: String, _ plugin: Gongzhi_Host_V1_PluginStatus) -> String {
        var line = "\(action) \(plugin.name): now \(orDash(plugin.state))"
        if plugin.pid != 0 { line += " (pid \(plugin.pid))" }
        if !plugin.reason.isEmpty { line += "; \(TextLayout.oneLine(plugin.reason))" }
        return line + "\n"
    }

    /// `gongzhictl plugins logs NAME`: `TIME LEVEL [stream] text`, the level padded so the streams line up.
    public static func logLine(_ line: Gongzhi_Host_V1_LogLine, time: TimeStyle) -> String {
        let level = line.level.isEmpty ? "info" : line.level
        let padding = String(repeating: " ", count: max(1, 9 - level.count))
        return "\(time.timestamp(line.timeMs)) \(level)\(padding)[\(orDash(line.stream))] \(line.text)\n"
    }

    // MARK: Tokens

    /// `gongzhictl tokens issue`: the token's details, its secret, and that the secret is not shown again.
    public static func issuedToken(_ issued: Gongzhi_Host_V1_IssuedToken, time: TimeStyle) -> String {
        let info = issued.info
        var text = "issued token \(info.id) for \(orDash(info.kind)) \(info.subject)\n"
        text += TextLayout.fields([
            ("scopes", info.scopes),
            ("expires", [expiry(info.expiresAtMs, time: time)]),
            ("description", [orDash(info.description_p)]),
        ])
        text += "\n\(issued.token)\n\n"
        text += "warning: the token is shown only this once; the host keeps only its hash. Store it now.\n"
        if info.kind == "plugin" {
            text +=
                "Give it to the plugin as GONGZHI_PLUGIN_TOKEN, with GONGZHI_PLUGIN_NAME=\(info.subject).\n"
        }
        if info.kind == "person" {
            text += "Give it to \(info.subject), who logs in with it: gongzhictl login (it asks for the token).\n"
        }
        return text
    }

    /// `gongzhictl tokens list`: one row a token, with whether it is active, expired or revoked.
    public static func tokenTable(_ tokens: [Gongzhi_Host_V1_TokenInfo], time: TimeStyle) -> String {
        guard !tokens.isEmpty else { return "no tokens\n" }
        return TextLayout.table(
            header: ["ID", "KIND", "SUBJECT", "STATE", "CREATED", "EXPIRES", "ISSUED BY", "SCOPES", "DESCRIPTION"],
            rows: tokens.map { token in
                [
                    token.id,
                    token.kind,
                    token.subject,
                    tokenState(token, time: time),
                    time.timestamp(token.createdAtMs),
                    expiry(token.expiresAtMs, time: time),
                    orDash(token.issuedBy),
                    token.scopes.isEmpty ? "-" : token.scopes.joined(separator: ","),
                    token.description_p,
                ]
            }
        )
    }

    /// `gongzhictl tokens revoke ID`.
    public static func revokedToken(_ token: Gongzhi_Host_V1_TokenInfo) -> String {
        "revoked token \(token.id) (\(orDash(token.kind)) \(token.subject))\n"
    }

    /// `active`, `expired` or `revoked`.
    public static func tokenState(_ token: Gongzhi_Host_V1_TokenInfo, time: TimeStyle) -> String {
        if token.revoked { return "revoked" }
        if token.expiresAtMs != 0 && token.expiresAtMs <= time.nowMs { return "expired" }
        return "active"
    }

    // MARK: Audit

    /// `gongzhictl audit`: the entries as the host sends them, newest last.
    /// `audit verify`.
    public static func auditVerification(_ result: Gongzhi_Host_V1_VerifyAuditResponse) -> String {
        if result.intact {
            return "audit log intact: \(result.entries) entries chained (\(result.path))\n"
        }
        return "audit log BROKEN after \(result.entries) good entries: \(result.problem) (\(result.path))\n"
    }

    public static func auditTable(_ entries: [Gongzhi_Host_V1_AuditEntry], time: TimeStyle) -> String {
        guard !entries.isEmpty else { return "no audit entries\n" }
        return TextLayout.table(
            header: ["SEQ", "TIME", "PRINCIPAL", "ACTION", "TARGET", "OUTCOME", "DETAIL"],
            rows: entries.map { entry in
                [
                    String(entry.sequence),
                    time.timestamp(entry.timeMs),
                    entry.principal,
                    entry.action,
                    orDash(entry.target),
                    entry.outcome,
                    entry.detail,
                ]
            }
        )
    }

    // MARK: Pieces

    private static func orDash(_ text: String) -> String { text.isEmpty ? "-" : text }

    private static func pid(_ pid: Int32) -> String { pid == 0 ? "-" : String(pid) }

    private static func expiry(_ ms: Int64, time: TimeStyle) -> String { ms == 0 ? "never" : time.timestamp(ms) }
}
