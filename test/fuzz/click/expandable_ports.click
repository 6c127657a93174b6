// [] and [N-] take as many ports as the other side needs
t :: Tee;
FromDevice(0) -> t;
t [] => Discard, Discard, Discard;
