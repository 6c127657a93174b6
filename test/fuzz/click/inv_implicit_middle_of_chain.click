FromDevice(0) -> ( input -> c :: Counter -> [0], Paint(1) -> output ) -> Discard;
