c :: Classifier(12/0800, -);
FromDevice(0) -> c;
c [0, 1] => Discard, Discard, Discard;
