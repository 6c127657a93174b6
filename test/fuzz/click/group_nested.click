FromDevice(0) -> ( -> Counter -> ( -> Paint(2) -> ) -> ) -> Discard;
