// `|| ...` falls back to the earlier class of the same name
elementclass Queue { $cap, $limit | input -> Queue($cap) -> Shaper($limit) -> output || ... }
FromDevice(0) -> Queue(5, 100) -> ToDevice(0);
FromDevice(1) -> Queue(9) -> ToDevice(1);
