import ArgumentParser

/// `gongzhictl`'s core: the verbs every host serves (`status`, the object commands, `plugins`, `tokens`,
/// `people`, `roles`, `audit`, `services` and `call` for any module's methods, `login`, `logout` and
/// `whoami`), and the configuration of the root command that composes them with the modules' commands.
///
/// A module's command line (`gongzhictl grid`, `gongzhictl sensors`) is a library of its own that depends on
/// this one and links the module's messages and logic, so that this one links none. It contributes one
/// command type, an `AsyncParsableCommand` named after the module, whose commands that call the host conform
/// to ``AdminCommand`` and use the shared plumbing: ``Invocation`` (the socket, `-o`, calls to the host and to
/// plugins through it with ``Invocation/callPlugin(_:timeout:_:)``, printing), ``ControlError`` and
/// ``ControlExitCode``, ``PluginOutput``, ``TextLayout``, ``TimeStyle`` and ``DocumentReader``. The executable
/// lists the module's command in its root command (``ControlCommandLine``).
public enum GongzhiControl {
    /// The core verbs, in the order help lists them; the modules' commands follow.
    public static let coreSubcommands: [any ParsableCommand.Type] = [
        Status.self, Get.self, Describe.self, Watch.self, Apply.self, Delete.self, Plugins.self, Tokens.self,
        People.self, Roles.self, Audit.self, Services.self, Call.self, Login.self, Logout.self, WhoAmI.self,
    ]

    /// The root command's name, help and subcommands: ``coreSubcommands``, then `modules`.
    public static func configuration(modules: [any ParsableCommand.Type]) -> CommandConfiguration {
        CommandConfiguration(
            commandName: "gongzhictl",
            abstract:
                "Administer a running gongzhi-host: its objects, plugins, tokens, people, audit log and services.",
            discussion: """
                gongzhictl calls the host's admin socket: --socket PATH, else $GONGZHI_ADMIN_SOCKET, else \
                /run/gongzhi/admin.sock. The host answers only the uids listed in admin_uids of its config.

                A person logs in with a token issued to them (gongzhictl login). While logged in, the work \
                people do (get, describe, watch, and the modules' commands) calls the host's socket for people \
                instead, host.sock, with the token, and the host decides each call by the person's roles and \
                places; administration (status, plugins, tokens, people, roles, audit, services, call, apply, \
                delete) still calls admin.sock. --admin calls admin.sock for one command; --as PERSON (an id \
                or a name) makes any call for that person (gongzhictl whoami shows who you are).

                Every command prints a table for people; -o json (--output json) prints JSON for scripts, \
                with the protocol's snake_case field names (plugins logs: one JSON object a line). 64-bit \
                integers (times in ms, revisions, sequence numbers, sizes) are JSON strings, as protobuf's JSON \
                mapping writes them, so that no digit is lost above 2^53. The object commands (get, describe, \
                watch, apply, delete) print objects as documents with -o json or -o yaml, in the format that \
                apply reads.

                Any module's methods, a third party's too, can be called without a command of their own: \
                gongzhictl services lists what the host serves, gongzhictl describe service NAME shows a \
                service's methods and messages, and gongzhictl call SERVICE/METHOD -d JSON calls one, with the \
                request and answers in protobuf's JSON mapping (see gongzhictl call --help).

                Exit codes:
                  0  ok
                  1  the host refused or failed the request
                  2  usage error
                  3  the host cannot be reached (no socket, host not running)
                  4  not found (no such object, kind, plugin or token)
                  5  permission denied (your uid is not in the host's admin_uids)

                Shell completion comes from gongzhictl --generate-completion-script bash|zsh|fish; for bash:
                  gongzhictl --generate-completion-script bash \\
                    > /etc/bash_completion.d/gongzhictl
                """,
            subcommands: coreSubcommands + modules
        )
    }
}
