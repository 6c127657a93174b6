q1 :: Queue;
q2 :: Queue;
FromDevice(0) -> q1;
FromDevice(1) -> q2;
t :: ToDevice(0);
q1 -> t;
q2 -> t;
