// acme-repairs: the plugin executable of a module outside Gongzhi's repository. The host starts it from its
// sealed manifest (acme-repairs.plugin.toml); Docs/plugin-guide.md walks through the package.

import GongzhiPluginSDK

@main
struct RepairsPlugin {
    static func main() async {
        await Plugin.main(name: "acme-repairs", version: "1.0.0") { _ in
            [RepairDesk()]
        }
    }
}
