import ArgumentParser
import GongzhiControl
import GongzhiGridSchemas
import GongzhiRPC
import GongzhiSchemas

extension GridCommand {
    /// `gongzhictl grid register ID`.
    struct Register: CaseStepCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register (立案) a reported case: accept it, to be dispatched.",
            discussion: """
                The case takes its category's tier unless --tier says otherwise, e.g. for a matter known to \
                be major.

                Example:
                  gongzhictl grid register C1a2b3 --tier street --note "涉及多个小区"
                  C1a2b3 registered at the street tier
                """
        )

        @OptionGroup var step: CaseStepOptions

        @Option(help: ArgumentHelp("Who owns the case (default: its category's tier).", valueName: "tier"))
        var tier: GridTierArgument?

        @Option(help: .note) var note: String?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        var request: Gongzhi_Grid_V1_RegisterCaseRequest {
            Gongzhi_Grid_V1_RegisterCaseRequest.with {
                $0.ref = step.ref
                $0.note = note ?? ""
                $0.tier = tier?.tier ?? .unspecified
            }
        }

        func send(
            to grid: Gongzhi_Grid_V1_GridServiceClient,
            options: CallOptions,
            time: TimeStyle
        ) async throws -> Gongzhi_Grid_V1_Case {
            try await grid.register(request, options: options)
        }
    }

    /// `gongzhictl grid reject ID --reason TEXT`.
    struct Reject: CaseStepCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reject (不予立案) a reported case, with the reason; this is final.",
            discussion: """
                Example:
                  gongzhictl grid reject C1a2b3 --reason "不属于城市管理范围"
                  C1a2b3 rejected: 不属于城市管理范围
                """
        )

        @OptionGroup var step: CaseStepOptions

        @Option(help: ArgumentHelp("Why the case is rejected; the reporter is told.", valueName: "text"))
        var reason: String

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if reason.allSatisfy(\.isWhitespace) { throw ValidationError("--reason needs the reason for rejecting") }
        }

        var request: Gongzhi_Grid_V1_RejectRequest {
            Gongzhi_Grid_V1_RejectRequest.with {
                $0.ref = step.ref
                $0.reason = reason
            }
        }

        func send(
            to grid: Gongzhi_Grid_V1_GridServiceClient,
            options: CallOptions,
            time: TimeStyle
        ) async throws -> Gongzhi_Grid_V1_Case {
            try await grid.reject(request, options: options)
        }
    }

    /// `gongzhictl grid dispatch ID --to worker:NAME`.
    struct Dispatch: CaseStepCommand {
        static let configuration = CommandConfiguration(
            abstract: "Dispatch (派遣) a registered case to a grid worker, a partner team or a department.",
            discussion: """
                --to names the assignee: worker:PERSON (a grid worker bound to the case's grid, by id or name), \
                team:PARTNER_ID (a Partner \
                of type team) or department:DEPT_ID (a Department). The deadline is the category's unless \
                --deadline gives another: how long from now (90m, 24h, 3d) or a time (2026-11-23T10:00 in \
                local time, or with its offset, 2026-11-23T10:00+08:00). A case sent back or reopened is \
                dispatched again the same way.

                Example:
                  gongzhictl grid dispatch C1a2b3 --to worker:王芳 --deadline 24h
                  C1a2b3 dispatched to worker 王芳, due 2026-11-23 10:00 (in 1d)
                """
        )

        @OptionGroup var step: CaseStepOptions

        @Option(
            help: ArgumentHelp(
                "Whom to: worker:NAME, team:PARTNER_ID or department:DEPT_ID.",
                valueName: "assignee"
            ),
            transform: { text in try GridAssignee(parsing: text) }
        )
        var to: GridAssignee

        @Option(
            help: ArgumentHelp("The assignee's name as people read it (default: the id).", valueName: "display")
        )
        var name: String?

        @Option(
            help: ArgumentHelp(
                "When it must be handled by: 2h, 3d, 90m from now, or a time such as 2026-11-23T10:00 "
                    + "(default: the category's).",
                valueName: "deadline"
            ),
            transform: { text in try GridDeadline(parsing: text) }
        )
        var deadline: GridDeadline?

        @Option(help: .note) var note: String?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        /// The request, with a deadline counted from `time`'s now; a deadline that is not later than now is
        /// a usage error.
        func request(at time: TimeStyle) throws(ControlError) -> Gongzhi_Grid_V1_DispatchRequest {
            let deadlineMs = deadline?.milliseconds(in: time) ?? 0
            if deadline != nil && deadlineMs <= time.nowMs {
                throw ControlError(
                    "--deadline \(time.timestamp(deadlineMs)) has passed; give a later time, or leave it out "
                        + "for the category's deadline",
                    exitCode: ControlExitCode.usage
                )
            }
            return Gongzhi_Grid_V1_DispatchRequest.with {
                $0.ref = step.ref
                $0.assignee = Gongzhi_Grid_V1_Assignee.with {
                    $0.kind = to.kind
                    $0.id = to.id
                    $0.name = name ?? ""
                }
                $0.deadlineMs = deadlineMs
                $0.note = note ?? ""
            }
        }

        func send(
            to grid: Gongzhi_Grid_V1_GridServiceClient,
            options: CallOptions,
            time: TimeStyle
        ) async throws -> Gongzhi_Grid_V1_Case {
            var request = try request(at: time)
            // A grid worker is a person: the plugin takes their id, and people type a name as often. A name that
            // finds nobody goes as typed, for the plugin (or the host, when there is no plugin) to answer.
            if to.kind == .gridWorker {
                do {
                    request.assignee.id = try await PersonLookup.id(
                        of: to.id,
                        objects: Gongzhi_Host_V1_ObjectsClient(channel: grid.channel),
                        options: options,
                        option: "--to worker:"
                    )
                } catch let error as ControlError where error.exitCode == ControlExitCode.notFound {}
            }
            return try await grid.dispatch(request, options: options)
        }
    }

    /// `gongzhictl grid start ID`.
    struct Start: CaseStepCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start (处置) a dispatched case: the assignee is on it.",
            discussion: """
                Example:
                  gongzhictl grid start C1a2b3 --as 王芳
                  C1a2b3 in progress with worker 王芳, due 2026-11-23 10:00 (in 23h)
                """
        )

        @OptionGroup var step: CaseStepOptions
        @Option(help: .note) var note: String?
        @OptionGroup(title: "Host and output") var options: GlobalOptions

        var request: Gongzhi_Grid_V1_StartRequest {
            Gongzhi_Grid_V1_StartRequest.with {
                $0.ref = step.ref
                $0.note = note ?? ""
            }
        }

        func send(
            to grid: Gongzhi_Grid_V1_GridServiceClient,
            options: CallOptions,
            time: TimeStyle
        ) async throws -> Gongzhi_Grid_V1_Case {
            try await grid.start(request, options: options)
        }
    }

    /// `gongzhictl grid handle ID --notes TEXT`.
    struct Handle: CaseStepCommand {
        static let configuration = CommandConfiguration(
            abstract: "Report a case handled (处理反馈), with what was done and any photos.",
            discussion: """
                Whoever handles the case may not verify it; someone else must.

                Example:
                  gongzhictl grid handle C1a2b3 --as 王芳 --notes "垃圾已清运" --media oss://cases/C1a2b3/after.jpg
                  C1a2b3 handled by 王芳, in time
                """
        )

        @OptionGroup var step: CaseStepOptions

        @Option(help: ArgumentHelp("What was done.", valueName: "text"))
        var notes: String

        @Option(
            name: .customLong("media"),
            help: ArgumentHelp(
                "A reference to a photo or recording (URL or object key); repeat for more.",
                valueName: "ref"
            )
        )
        var media: [String] = []

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        var request: Gongzhi_Grid_V1_HandleRequest {
            Gongzhi_Grid_V1_HandleRequest.with {
                $0.ref = step.ref
                $0.notes = notes
                $0.media = media
            }
        }

        func send(
            to grid: Gongzhi_Grid_V1_GridServiceClient,
            options: CallOptions,
            time: TimeStyle
        ) async throws -> Gongzhi_Grid_V1_Case {
            try await grid.handle(request, options: options)
        }
    }

    /// `gongzhictl grid verify ID`.
    struct Verify: CaseStepCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify (核查) a handled case: someone other than the handler confirms it is done.",
            discussion: """
                Example:
                  gongzhictl grid verify C1a2b3 --as 李强 --note 现场核实
                  C1a2b3 verified
                """
        )

        @OptionGroup var step: CaseStepOptions
        @Option(help: .note) var note: String?
        @OptionGroup(title: "Host and output") var options: GlobalOptions

        var request: Gongzhi_Grid_V1_VerifyRequest {
            Gongzhi_Grid_V1_VerifyRequest.with {
                $0.ref = step.ref
                $0.note = note ?? ""
            }
        }

        func send(
            to grid: Gongzhi_Grid_V1_GridServiceClient,
            options: CallOptions,
            time: TimeStyle
        ) async throws -> Gongzhi_Grid_V1_Case {
            try await grid.verify(request, options: options)
        }
    }

    /// `gongzhictl grid send-back ID --reason TEXT`.
    struct SendBack: CaseStepCommand {
        static let configuration = CommandConfiguration(
            commandName: "send-back",
            abstract: "Send a handled case back: it is not done; the assignee works on it again.",
            discussion: """
                Example:
                  gongzhictl grid send-back C1a2b3 --as 李强 --reason "现场仍有垃圾"
                  C1a2b3 in progress with worker 王芳, due 2026-11-23 10:00 (in 20h)
                """
        )

        @OptionGroup var step: CaseStepOptions

        @Option(help: ArgumentHelp("What is still wrong; the assignee is told.", valueName: "text"))
        var reason: String

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if reason.allSatisfy(\.isWhitespace) {
                throw ValidationError("--reason needs what is still wrong with the handling")
            }
        }

        var request: Gongzhi_Grid_V1_SendBackRequest {
            Gongzhi_Grid_V1_SendBackRequest.with {
                $0.ref = step.ref
                $0.reason = reason
            }
        }

        func send(
            to grid: Gongzhi_Grid_V1_GridServiceClient,
            options: CallOptions,
            time: TimeStyle
        ) async throws -> Gongzhi_Grid_V1_Case {
            try await grid.sendBack(request, options: options)
        }
    }

    /// `gongzhictl grid close ID`.
    struct Close: CaseStepCommand {
        static let configuration = CommandConfiguration(
            abstract: "Close (结案) a verified case.",
            discussion: """
                Example:
                  gongzhictl grid close C1a2b3
                  C1a2b3 closed at the grid tier
                """
        )

        @OptionGroup var step: CaseStepOptions
        @Option(help: .note) var note: String?
        @OptionGroup(title: "Host and output") var options: GlobalOptions

        var request: Gongzhi_Grid_V1_CloseRequest {
            Gongzhi_Grid_V1_CloseRequest.with {
                $0.ref = step.ref
                $0.note = note ?? ""
            }
        }

        func send(
            to grid: Gongzhi_Grid_V1_GridServiceClient,
            options: CallOptions,
            time: TimeStyle
        ) async throws -> Gongzhi_Grid_V1_Case {
            try await grid.close(request, options: options)
        }
    }

    /// `gongzhictl grid evaluate ID --satisfaction S`.
    struct Evaluate: CaseStepCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record the reporter's evaluation (评价) of a closed case; not-fixed reopens it.",
            discussion: """
                --satisfaction is satisfied (满意), acceptable (基本满意), unsatisfied (不满意, but fixed) or \
                not-fixed (问题未解决), which reopens the case: it is registered again, to be dispatched.

                Example:
                  gongzhictl grid evaluate C1a2b3 --satisfaction satisfied --comment 处理及时
                  C1a2b3 evaluated: satisfied
                """
        )

        @OptionGroup var step: CaseStepOptions

        @Option(help: ArgumentHelp("What the reporter says.", valueName: "satisfaction"))
        var satisfaction: GridSatisfactionArgument

        @Option(help: ArgumentHelp("The reporter's words, kept with the evaluation.", valueName: "text"))
        var comment: String?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        var request: Gongzhi_Grid_V1_EvaluateRequest {
            Gongzhi_Grid_V1_EvaluateRequest.with {
                $0.ref = step.ref
                $0.satisfaction = satisfaction.satisfaction
                $0.comment = comment ?? ""
            }
        }

        func send(
            to grid: Gongzhi_Grid_V1_GridServiceClient,
            options: CallOptions,
            time: TimeStyle
        ) async throws -> Gongzhi_Grid_V1_Case {
            try await grid.evaluate(request, options: options)
        }
    }
}
