// The points plugin's entry point arrives with the ledger engine.
@main
struct PointsPluginEntry {
    static func main() {}
}
