import GongzhiGridSchemas
import GongzhiPluginSDK
import GongzhiPoints
import GongzhiPointsSchemas
import GongzhiRPC
import Logging

extension Gongzhi_Grid_V1_Case: ObjectKind {
    public static var kindName: String { "Case" }
}

/// Credits from the grid module's cases: a case evaluated satisfied (基本满意 too, when the rule says so) credits
/// the grid worker or partner team that handled it, once per time it was handled — the transfer's id is
/// `grid-case:<case>:<times reopened>:<rule>`; a case reopened as not fixed after such a credit gets the credit
/// reversed. It follows the kind Case through the host; on a host without the grid module, it says so and looks
/// again every `retry`.
struct GridCaseCredits: Sendable {
    let engine: LedgerEngine
    let integrations: Integrations
    let logger: Logger
    var retry: Duration = .seconds(15)

    func run() async {
        while !Task.isCancelled {
            do {
                let (cases, revision) = try await engine.objects.list(Gongzhi_Grid_V1_Case.self, pageSize: 2000)
                integrations.update { $0.idleReason = nil }
                for object in cases { await credit(object.message) }
                for try await event in engine.objects.watch(Gongzhi_Grid_V1_Case.self, after: revision)
                where event.change != .deleted {
                    await credit(event.object.message)
                }
            } catch let error as RPCError where error.code == .notFound || error.code == .invalidArgument {
                integrations.update {
                    $0.idleReason =
                        "the grid module is not deployed (the host knows no kind Case); "
                        + "rules of source grid-case credit once it is"
                }
            } catch is CancellationError {
                return
            } catch {
                integrations.update {
                    $0.idleReason = "reading the grid's cases failed (\(LedgerEngine.describe(error)))"
                }
                logger.warning("following the grid's cases failed; trying again", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: retry)
        }
    }

    /// Credits or reverses what one case's state calls for.
    func credit(_ value: Gongzhi_Grid_V1_Case) async {
        // A case reopened as not fixed is back in the queue with nobody assigned: its earlier credits are taken back
        // all the same.
        let holder = Self.holder(of: value)
        if holder == nil && value.reopened == 0 { return }
        do {
            let (credited, reversed) = try await engine.perform { book, now -> (Int, Int) in
                var credited = 0
                var reversed = 0
                for rule in book.rules.values where rule.source == .gridCase {
                    // Credits of earlier rounds, before the case was reopened as not fixed, are taken back (also
                    // those of a rule made inactive since).
                    for round in 0..<Int(value.reopened) {
                        let id = Self.transferID(value.id, round: round, rule: rule.code)
                        guard book.transfer(id) != nil, book.transfer(id + ":reversal") == nil else { continue }
                        let outcome = book.correct(
                            id: id + ":reversal",
                            transferID: id,
                            amount: 0,
                            reason: "case \(value.id) was reopened: the reporter says it is not fixed",
                            now: now,
                            by: PointsBook.systemActor
                        )
                        if case .success(let result) = outcome, result.result == .ok {
                            reversed += 1
                        } else {
                            logger.warning(
                                "could not take back a reopened grid case's credit; trying again at its next change",
                                metadata: ["transfer": "\(id)", "why": "\(Self.describe(outcome))"]
                            )
                        }
                    }
                    guard rule.active, let holder else { continue }
                    guard Self.earns(value, includeAcceptable: rule.includeAcceptable) else { continue }
                    let id = Self.transferID(value.id, round: Int(value.reopened), rule: rule.code)
                    guard book.transfer(id) == nil else { continue }
                    switch book.issue(
                        transferID: id,
                        rule: rule.code,
                        to: holder,
                        amount: 0,
                        reference: value.id,
                        memo: "case \(value.id) (\(value.categoryName)) evaluated \(Self.word(value.satisfaction))",
                        now: now,
                        by: PointsBook.systemActor
                    ) {
                    case .success(let result) where result.result == .ok: credited += 1
                    case .success(let result):
                        logger.info(
                            "a grid case earns no points",
                            metadata: ["case": "\(value.id)", "rule": "\(rule.code)", "why": "\(result.message)"]
                        )
                    case .failure(let refusal):
                        logger.info(
                            "a grid case earns no points",
                            metadata: ["case": "\(value.id)", "rule": "\(rule.code)", "why": "\(refusal.message)"]
                        )
                    }
                }
                return (credited, reversed)
            }
            if credited > 0 || reversed > 0 {
                integrations.update {
                    $0.credits += credited
                    $0.reversals += reversed
                }
            }
        } catch {
            logger.warning(
                "crediting a grid case failed; it is credited when the case is read again",
                metadata: ["case": "\(value.id)", "error": "\(error)"]
            )
        }
    }

    /// Whether `value` earns its assignee a rule's credit: evaluated satisfied (or acceptable, when the rule counts
    /// it), and last closed by its handling — not by the mediation module, which closes a case handed to it with
    /// its dispute's outcome: the mediators settled it, not the assignee.
    static func earns(_ value: Gongzhi_Grid_V1_Case, includeAcceptable: Bool) -> Bool {
        guard value.state == .evaluated else { return false }
        if value.history.last(where: { $0.to == .closed })?.action == .mediationConcluded { return false }
        return value.satisfaction == .satisfied || (value.satisfaction == .acceptable && includeAcceptable)
    }

    /// Whom a case credits: the grid worker (a Person) or partner team it is dispatched to, of its community; nil
    /// while it is assigned to nobody who holds points.
    static func holder(of value: Gongzhi_Grid_V1_Case) -> PointsBook.Holder? {
        let assignee = value.assignee
        let holderKind: Gongzhi_Points_V1_HolderKind
        switch assignee.kind {
        case .gridWorker: holderKind = .person
        case .partnerTeam: holderKind = .partner
        default: return nil
        }
        guard !assignee.id.isEmpty, !value.communityCode.isEmpty else { return nil }
        return PointsBook.Holder(
            kind: holderKind,
            id: assignee.id,
            name: assignee.name.isEmpty ? assignee.id : assignee.name,
            communityCode: value.communityCode,
            partnerType: holderKind == .partner ? "team" : ""
        )
    }

    /// Why a correction was not recorded, for the log.
    static func describe(_ outcome: Result<TransferResult, PointsRefusal>) -> String {
        switch outcome {
        case .success(let result): result.message
        case .failure(let refusal): refusal.message
        }
    }

    static func transferID(_ caseID: String, round: Int, rule: String) -> String {
        "grid-case:\(caseID):\(round):\(rule)"
    }

    static func word(_ satisfaction: Gongzhi_Grid_V1_Satisfaction) -> String {
        switch satisfaction {
        case .satisfied: "satisfied"
        case .acceptable: "acceptable"
        case .unsatisfied: "unsatisfied"
        case .notFixed: "not fixed"
        case .unspecified, .UNRECOGNIZED: "unspecified"
        }
    }
}
