rr :: RoundRobinSwitch;
FromDevice(0) -> rr;
rr [0] -> Counter -> Discard;
rr [1-] => Discard, Discard;
