/// The limits an ``AdmissionController`` enforces, level by level (from ``AdmissionSettings``).
struct AdmissionLimits: Sendable, Equatable {
    var admin: LevelLimits
    var plugins: LevelLimits
    var clients: LevelLimits
    /// The limits of each plugin's routed pool.
    var routed: LevelLimits
    var maxStreamsPerFlow: Int

    /// The limits of `level`; nil for the exempt ``PriorityLevel/system``.
    func limits(of level: PriorityLevel) -> LevelLimits? {
        switch level {
        case .system: nil
        case .admin: admin
        case .plugins: plugins
        case .clients: clients
        case .routed: routed
        }
    }
}
