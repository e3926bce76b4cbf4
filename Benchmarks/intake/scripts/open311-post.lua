-- Open311 POSTs for the intake benchmark, for wrk: every request a new 道路积水 (E0405) ticket of its own, at a
-- place of its own (from a file of "latitude longitude" lines, each used once; no two within the grid module's
-- 50 m duplicate radius), with a ticket number and description of its own, so that neither intake's nor the
-- grid's duplicate rules join any two.
--
-- usage: wrk ... -s open311-post.lua URL/requests.json -- API_KEY POINTS_FILE THREADS RUN_TAG
-- At the end prints one JSON line: answers with status 200 and others (the first of them, cut), and wrk's
-- latency percentiles of all answers.
local threads = {}
local created = 0

function setup(thread)
    thread:set("index", created)
    created = created + 1
    table.insert(threads, thread)
end

function init(args)
    key, tag = args[1], args[4]
    step = tonumber(args[3])
    points = {}
    for line in io.lines(args[2]) do
        local latitude, longitude = line:match("(%S+) (%S+)")
        points[#points + 1] = { latitude, longitude }
    end
    nextIndex = index
    ok, other, firstOther = 0, 0, ""
    headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
end

function request()
    local i = nextIndex
    nextIndex = nextIndex + step
    local point = points[(i % #points) + 1]
    local body = "api_key=" .. key .. "&service_code=E0405&lat=" .. point[1] .. "&long=" .. point[2]
        .. "&description=%E8%B7%AF%E9%9D%A2%E7%A7%AF%E6%B0%B4+" .. tag .. "-" .. i
        .. "&attribute%5Bticket_no%5D=GD" .. tag .. "-" .. i
    return wrk.format("POST", nil, headers, body)
end

function response(status, headers, body)
    if status == 200 then
        ok = ok + 1
    else
        other = other + 1
        if firstOther == "" then
            firstOther = status .. " " .. string.sub(body or "", 1, 160)
        end
    end
end

function done(summary, latency, requests)
    local okAll, otherAll, firstOther = 0, 0, ""
    for _, thread in ipairs(threads) do
        okAll = okAll + thread:get("ok")
        otherAll = otherAll + thread:get("other")
        local seen = thread:get("firstOther")
        if firstOther == "" and seen ~= nil then firstOther = seen end
    end
    firstOther = firstOther:gsub('[%c"\\]', " ")
    io.write(string.format(
        '{"ok":%d,"other":%d,"first_other":"%s","requests":%d,"duration_us":%d,"connect_errors":%d,'
            .. '"read_errors":%d,"write_errors":%d,"timeouts":%d,"p50_us":%d,"p99_us":%d}\n',
        okAll, otherAll, firstOther, summary.requests, summary.duration, summary.errors.connect,
        summary.errors.read, summary.errors.write, summary.errors.timeout,
        latency:percentile(50), latency:percentile(99)))
end
