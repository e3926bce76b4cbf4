"""MQTT publishers for the intake benchmark, with paho-mqtt 2.2.0 as the independent client.

flood:    --publishers P processes, each one MQTT v5 client on the broker's Unix socket, publish --messages
          readings in all at QoS 1 (P shares), three of every four on gz/v1/readings/{device} and one on
          gz/v1/gateways/{gateway}/readings (a JSON array of one reading); water levels below every threshold, so
          that no reading opens a case. All publishers connect first and start together. Prints one JSON line:
          the first publish and the last PUBACK (seconds since the epoch) and the PUBACKs counted.
critical: one client publishes one critical water level (42 m) on gz/v1/readings/{device} for each device of
          --devices in turn, waits for its PUBACK and --gap-ms, and prints one JSON line with each device's
          publish time (seconds since the epoch, taken just before publishing).
"""

import argparse
import json
import multiprocessing
import sys
import threading
import time

import paho.mqtt.client as mqtt


def connected_client(socket_path, client_id, inflight):
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5, transport="unix"
    )
    client.max_inflight_messages_set(inflight)
    client.max_queued_messages_set(0)
    connected = threading.Event()
    client.on_connect = lambda c, u, flags, reason, props: connected.set()
    client.connect(socket_path)
    client.loop_start()
    if not connected.wait(30):
        raise SystemExit(f"{client_id}: no CONNACK from {socket_path} in 30 s")
    return client


def flood_publisher(index, args, count, ready, start, results):
    prefix = f"{args.device_prefix}{index:02d}-"
    client = connected_client(args.socket, f"{args.client_prefix}{index:02d}", args.inflight)
    acked = [0]
    done = threading.Event()

    def on_publish(c, userdata, mid, reason, props):
        acked[0] += 1
        if acked[0] >= count:
            done.set()

    client.on_publish = on_publish
    base_ms = int(time.time() * 1000) - 10 * count - 60_000
    messages = []
    for i in range(count):
        device = prefix + str(i % 4)
        at_ms = base_ms + 10 * i
        if i % 4 == 3:
            topic = f"gz/v1/gateways/{args.device_prefix}gw-{index:02d}/readings"
            payload = json.dumps(
                [{"device_id": device, "kind": "water_level", "value": 0.5 + (i % 7) / 10, "time_unix_ms": at_ms}]
            )
        else:
            topic = f"gz/v1/readings/{device}"
            payload = json.dumps({"kind": "water_level", "value": 0.5 + (i % 7) / 10, "time_unix_ms": at_ms})
        messages.append((topic, payload.encode()))
    ready.put(index)
    start.wait()
    first = time.time()
    for topic, payload in messages:
        client.publish(topic, payload, qos=1)
    finished = done.wait(args.timeout)
    last = time.time()
    client.disconnect()
    client.loop_stop()
    results.put({"index": index, "first": first, "last": last, "acked": acked[0], "complete": finished})


def flood(args):
    ready = multiprocessing.Queue()
    results = multiprocessing.Queue()
    start = multiprocessing.Event()
    shares = [args.messages // args.publishers + (1 if i < args.messages % args.publishers else 0)
              for i in range(args.publishers)]
    processes = [
        multiprocessing.Process(target=flood_publisher, args=(i, args, shares[i], ready, start, results))
        for i in range(args.publishers)
    ]
    for process in processes:
        process.start()
    for _ in processes:
        ready.get(timeout=60)
    print("READY", file=sys.stderr, flush=True)
    start.set()
    outcomes = [results.get(timeout=args.timeout + 60) for _ in processes]
    for process in processes:
        process.join()
    print(json.dumps({
        "publishers": args.publishers,
        "messages": sum(shares),
        "acked": sum(o["acked"] for o in outcomes),
        "complete": all(o["complete"] for o in outcomes),
        "first_publish": min(o["first"] for o in outcomes),
        "last_puback": max(o["last"] for o in outcomes),
    }), flush=True)


def critical(args):
    client = connected_client(args.socket, args.client_prefix + "critical", 20)
    published = {}
    for device in args.devices.split(","):
        at = time.time()
        payload = json.dumps({"kind": "water_level", "value": 42.0, "time_unix_ms": int(at * 1000)})
        info = client.publish(f"gz/v1/readings/{device}", payload.encode(), qos=1)
        info.wait_for_publish(30)
        published[device] = at
        time.sleep(args.gap_ms / 1000)
    client.disconnect()
    client.loop_stop()
    print(json.dumps({"published": published}), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["flood", "critical"])
    parser.add_argument("--socket", required=True, help="the broker's Unix socket")
    parser.add_argument("--client-prefix", default="bench-pub-")
    parser.add_argument("--device-prefix", default="FL-")
    parser.add_argument("--publishers", type=int, default=16)
    parser.add_argument("--messages", type=int, default=32_000)
    parser.add_argument("--inflight", type=int, default=100, help="each publisher's unacknowledged QoS 1 window")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--devices", default="", help="critical: the devices, comma-separated")
    parser.add_argument("--gap-ms", type=float, default=50)
    args = parser.parse_args()
    flood(args) if args.mode == "flood" else critical(args)


if __name__ == "__main__":
    main()
