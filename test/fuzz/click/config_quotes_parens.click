// parentheses inside quotes and comments don't end the configuration
FromDevice(0) -> Print("a) b", 40) -> Print('(') -> Print(x /* ) */) -> Discard;
