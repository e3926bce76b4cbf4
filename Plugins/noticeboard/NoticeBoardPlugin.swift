// gongzhi-noticeboard: the example plugin, a community notice board (社区公告栏). The host starts it;
// see Docs/plugin-guide.md for how it is built, installed and tested.

import GongzhiPluginSDK

@main
struct NoticeBoardPlugin {
    static func main() async {
        await Plugin.main(name: "noticeboard", version: "1.0.0") { context in
            let board = try NoticeBoardService(logger: context.logger, dataDirectory: context.dataDirectory)
            // Followers' streams never end by themselves: end them when the plugin stops.
            context.onStop { _ in board.endFollowers() }
            return [board]
        }
    }
}
