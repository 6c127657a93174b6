FromDevice(0) -> q :: Queue -> Counter -> PushNull -> Discard;
