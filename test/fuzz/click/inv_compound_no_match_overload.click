elementclass Q { input -> Queue -> output
              || $cap | input -> Queue($cap) -> output }
FromDevice(0) -> Q(1, 2) -> ToDevice(0);
