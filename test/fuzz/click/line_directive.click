# 100 "generated.click"
FromDevice(0) -> Counter
#line 7 "other.click"
  -> Discard;
