FromDevice(0) -> Print(abc
