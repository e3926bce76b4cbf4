/// Chinese personal names: a surname drawn by frequency, a given name in the fashion of the decade of birth.
/// Any resemblance of a generated name to a real person is a coincidence of common names.
enum Names {
    /// Common surnames, most frequent first (a Zhejiang-flavoured order).
    static let surnames: [String] = Array(
        "王陈张李徐吴周沈朱杨金孙俞胡蒋钱黄刘何郑方叶许施汪赵马潘顾林章邵姚陆程邱楼丁韩高傅冯姜袁范余郭严毛应卢宋汤夏洪谢任曹项钟翁罗唐魏鲍戴宣裘屠舒葛孔柳包郁卞史吕董田邓苏"
    ).map { String($0) }

    /// Weights falling with rank, as surname frequencies do.
    static let surnameWeights: [Double] = surnames.indices.map { 1.0 / Double($0 + 4) }

    static func surname(using random: inout SplitMix64) -> String {
        surnames[random.weighted(surnameWeights)]
    }

    private static func list(_ text: String) -> [String] {
        text.split(separator: " ").map { String($0) }
    }

    /// Given names by decade of birth: (born up to this year, male names, female names).
    private static let fashions: [(until: Int, male: [String], female: [String])] = [
        (
            1955,
            list(
                "建国 国华 志明 德明 根宝 金根 水根 荣华 福生 永康 家骏 振华 树林 炳坤 鸿宾 文德 长林 国良 金海 宝林 桂林 福根 和平 仁杰 阿大"
            ),
            list(
                "秀英 桂英 玉兰 凤英 淑珍 秀兰 彩娣 月娥 素芬 杏娟 桂芳 金娣 美娟 阿珍 巧英 雪珍 菊芬 爱娟 秀珍 银凤 美英 翠英 慧珍 宝娣 兰芳"
            )
        ),
        (
            1975,
            list(
                "建华 国强 卫东 志刚 建军 国庆 立新 伟民 建平 海明 明华 跃进 爱国 卫国 红卫 新民 建林 国平 永明 德胜 文华 根林 海林 志强 振宇"
            ),
            list(
                "红梅 丽华 美华 秀芳 建英 卫红 爱华 丽萍 雪芳 月芳 海燕 小红 彩萍 伟芳 惠芬 国芳 素琴 丽娟 建芬 春燕 亚萍 玲娣 红英 美琴 秋萍"
            )
        ),
        (
            1995,
            list("伟 强 磊 军 勇 斌 杰 涛 峰 鹏 海峰 晓东 志伟 文斌 建锋 俊杰 晓峰 海涛 立峰 剑 浩 晓明 建波 鹏飞 超"),
            list("丽 静 敏 燕 娟 芳 霞 琴 婷 晓燕 雪梅 美玲 丽君 晓丽 佳 颖 倩 晓静 莉 蕾 洁 晓霞 丹丹 燕萍 海燕")
        ),
        (
            2010,
            list(
                "浩然 宇航 晨阳 俊豪 家豪 子豪 文博 志豪 天宇 昊天 一鸣 宇辰 嘉诚 浩宇 思远 博文 泽宇 鑫 睿 帅 晨 皓轩 逸飞 佳俊 宇"
            ),
            list(
                "婷婷 雪怡 佳怡 思雨 晓雯 梦瑶 诗琪 雨婷 欣然 佳琪 静怡 心怡 雨欣 梦琪 思琪 嘉怡 若琳 可欣 佳颖 欣悦 倩倩 紫涵 晨曦 梓琪 雅琪"
            )
        ),
        (
            Int.max,
            list(
                "子轩 浩宇 梓豪 宇轩 俊熙 一诺 沐辰 奕辰 锦程 睿泽 梓睿 子墨 宇泽 浩轩 铭泽 承泽 煜城 景行 俊宇 晨轩 奕航 皓宸 梓航 思源 安然"
            ),
            list(
                "梓涵 欣怡 诗涵 梓萱 语桐 若汐 可馨 雨桐 思彤 一诺 芷若 沐瑶 梓琪 语嫣 诗雨 子涵 可欣 安琪 佳宁 艺涵 雨萱 依诺 欣妍 紫萱 书瑶"
            )
        ),
    ]

    /// A given name for someone born in `year`.
    static func givenName(bornIn year: Int, female: Bool, using random: inout SplitMix64) -> String {
        let fashion = fashions.first { year <= $0.until } ?? fashions[fashions.count - 1]
        return random.pick(female ? fashion.female : fashion.male)
    }

    /// A full name: a frequent surname and a given name of the decade.
    static func fullName(bornIn year: Int, female: Bool, using random: inout SplitMix64) -> String {
        surname(using: &random) + givenName(bornIn: year, female: female, using: &random)
    }
}
