import Foundation
import GongzhiGrid
import GongzhiGridSchemas
import GongzhiPluginSDK
import GongzhiRPC
import GongzhiSchemas

/// What the host's config gives the plugin in its environment (`[plugins.grid] env = { … }`):
///
/// - `GRID_CATEGORIES`: a JSON catalogue of categories replacing the built-in one (see `CategoryCatalogue`).
/// - `GRID_ESCALATION_INTERVAL_MS`: how often overdue cases are looked for (default 30,000).
/// - `GRID_CLOCK_FILE`: for tests, a file holding the current time in milliseconds since the epoch; the
///   plugin reads it whenever it needs the time, so a test can move time forward.
/// - `GRID_MISSED_OBLIGATION_CATEGORY`: the category of the cases opened for a mediation agreement's missed
///   obligation (default E0701, 邻里纠纷); it must be in the catalogue.
struct GridSettings: Sendable {
    var categoriesPath: String?
    var escalationInterval: Duration
    var clock: PluginClock
    var missedObligationCategory = GridSettings.defaultMissedObligationCategory

    /// 邻里纠纷 (neighbour disputes), of the built-in catalogue.
    static let defaultMissedObligationCategory = "E0701"

    static func fromEnvironment() throws -> GridSettings {
        var interval = Duration.seconds(30)
        if let text = PluginEnvironment.processVariable("GRID_ESCALATION_INTERVAL_MS"), !text.isEmpty {
            guard let milliseconds = Int64(text), milliseconds >= 10 else {
                throw RPCError(
                    code: .invalidArgument,
                    message: "GRID_ESCALATION_INTERVAL_MS is \"\(text)\"; give a number of milliseconds, 10 or more"
                )
            }
            interval = .milliseconds(milliseconds)
        }
        let clockFile = PluginEnvironment.processVariable("GRID_CLOCK_FILE").flatMap { $0.isEmpty ? nil : $0 }
        let missedCategory = PluginEnvironment.processVariable("GRID_MISSED_OBLIGATION_CATEGORY")
            .flatMap { $0.isEmpty ? nil : $0 }
        return GridSettings(
            categoriesPath: PluginEnvironment.processVariable("GRID_CATEGORIES").flatMap { $0.isEmpty ? nil : $0 },
            escalationInterval: interval,
            clock: PluginClock(file: clockFile),
            missedObligationCategory: missedCategory ?? defaultMissedObligationCategory
        )
    }

    /// The category of missed obligations' cases, checked against `catalogue`: INVALID_ARGUMENT naming the
    /// variable and the nearest codes when the catalogue does not have it.
    func missedObligationCategory(in catalogue: CategoryCatalogue) throws(RPCError) -> Gongzhi_Grid_V1_Category {
        guard let category = catalogue.category(missedObligationCategory) else {
            let unknown = catalogue.unknownCategoryMessage(missedObligationCategory)
            throw RPCError(
                code: .invalidArgument,
                message: "GRID_MISSED_OBLIGATION_CATEGORY: \(unknown); give a category of the catalogue for the "
                    + "cases of missed mediation obligations (default \(Self.defaultMissedObligationCategory))"
            )
        }
        return category
    }

    /// The catalogue: the file's, or the built-in one.
    func catalogue() throws -> CategoryCatalogue {
        guard let path = categoriesPath else { return .standard }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RPCError(code: .invalidArgument, message: "cannot read the category catalogue \(path)")
        }
        do {
            return try CategoryCatalogue.parse(json: Array(data), name: path)
        } catch {
            throw RPCError(code: .invalidArgument, message: error.message)
        }
    }
}

/// The grid plugin's kinds, for registering them with the host.
enum GridKinds {
    /// The descriptors the service's stubs carry, which define Case and everything it uses.
    static func fileDescriptorSet() throws -> Data {
        guard let set = RPCFileDescriptorSet(base64: Gongzhi_Grid_V1_GridService.fileDescriptorSetBase64) else {
            throw RPCError(code: .internal, message: "the embedded descriptors of the grid service do not decode")
        }
        return set.bytes
    }
}
