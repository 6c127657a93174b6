define($A 2);
FromDevice(0) -> Paint(${A}) -> Paint(${B-7}) -> Paint(${A-9}) -> Discard;
