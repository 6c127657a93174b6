// the first alternative whose ports and arguments match is chosen
elementclass Q { input -> Queue -> output
              || $cap | input -> Queue($cap) -> output }
FromDevice(0) -> Q -> ToDevice(0);
FromDevice(1) -> Q(7) -> ToDevice(1);
