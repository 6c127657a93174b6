t :: Tee;
FromDevice(0) -> t;
t [] => [] Discard;
