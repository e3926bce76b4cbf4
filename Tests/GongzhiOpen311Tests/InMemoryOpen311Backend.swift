import GongzhiIntake
import GongzhiIntakeSchemas
import GongzhiOpen311

/// An Open311 backend in memory for the server's tests: two sources, requests kept in a list, duplicates by
/// idempotency key answered with the first id, and keys that make `submit` refuse or fail.
actor InMemoryOpen311Backend: Open311Backend {
    struct Submission {
        var source: String
        var apiKey: String
        var request: Gongzhi_Intake_V1_SubmitTicketRequest
    }

    struct Failure: Error {}

    /// Every call of `submit`, duplicates included.
    private(set) var submissions: [Submission] = []
    /// The last query GET requests passed on.
    private(set) var lastQuery: Open311Query?
    private var stored: [Open311ServiceRequest] = []
    private var idsByIdempotencyKey: [String: String] = [:]
    private var tokens: [String: String] = [:]
    let receivedAtMs: Int64

    init(receivedAtMs: Int64) {
        self.receivedAtMs = receivedAtMs
    }

    static let hotlineServices = [
        Open311Service(
            code: "E0405",
            name: "道路积水",
            description: "路面积水影响通行",
            keywords: ["积水", "内涝"],
            group: "市容环境",
            attributes: [
                .init(code: "ticket_no", datatype: .string, required: false, description: "12345 工单编号"),
                .init(
                    code: "channel",
                    datatype: .singlevaluelist,
                    required: true,
                    description: "来电渠道",
                    values: [(key: "phone", name: "电话"), (key: "web", name: "网站")]
                ),
                .init(
                    code: "tags",
                    datatype: .multivaluelist,
                    required: false,
                    description: "标签",
                    values: [(key: "urgent", name: "紧急"), (key: "repeat", name: "重复")]
                ),
            ]
        ),
        Open311Service(code: "P0103", name: "井盖缺失", type: .batch),
    ]

    func sources() -> [String] { ["hotline-12345", "wechat"] }

    func services(source: String) -> [Open311Service]? {
        switch source {
        case "hotline-12345": return Self.hotlineServices
        case "wechat": return [Open311Service(code: "S0101", name: "烟雾")]
        default: return nil
        }
    }

    func submit(
        source: String,
        apiKey: String,
        request: Gongzhi_Intake_V1_SubmitTicketRequest
    ) throws -> Gongzhi_Intake_V1_SubmitTicketResponse {
        submissions.append(Submission(source: source, apiKey: apiKey, request: request))
        switch apiKey {
        case "good-key": break
        case "busy": throw Open311Refusal(status: 429, description: "too many requests from you", retryAfterSeconds: 7)
        case "down": throw Open311Refusal(status: 503, description: "the host is not reachable", retryAfterSeconds: 11)
        case "broken": throw Failure()
        default: throw Open311Refusal(status: 403, description: "the api_key is not valid for this server")
        }
        var response = Gongzhi_Intake_V1_SubmitTicketResponse()
        if !request.idempotencyKey.isEmpty, let first = idsByIdempotencyKey[request.idempotencyKey] {
            response.serviceRequestID = first
            response.duplicate = true
            return response
        }
        let id = "\(source)-\(stored.count + 1)"
        var created = Open311ServiceRequest()
        created.serviceRequestID = id
        created.status = "open"
        created.serviceCode = request.serviceCode
        created.requestedAtMs = receivedAtMs
        stored.append(created)
        if !request.idempotencyKey.isEmpty { idsByIdempotencyKey[request.idempotencyKey] = id }
        if request.serviceCode == "P0103" {
            let token = "token-\(id)"
            tokens[token] = id
            response.token = token
        } else {
            response.serviceRequestID = id
            response.serviceNotice = "已受理"
        }
        return response
    }

    func request(source: String, id: String) -> Open311ServiceRequest? {
        stored.first { $0.serviceRequestID == id && id.hasPrefix(source) }
    }

    func requests(source: String, query: Open311Query) -> [Open311ServiceRequest] {
        lastQuery = query
        return stored.filter { request in
            request.serviceRequestID.hasPrefix(source)
                && (query.serviceRequestIDs.isEmpty || query.serviceRequestIDs.contains(request.serviceRequestID))
                && (query.serviceCodes.isEmpty || query.serviceCodes.contains(request.serviceCode))
        }
    }

    func token(source: String, token: String) -> (serviceRequestID: String, token: String)? {
        tokens[token].map { ($0, token) }
    }
}
