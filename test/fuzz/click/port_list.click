c :: Classifier(12/0800, 12/0806, -);
FromDevice(0) -> c;
c [0,1,2] => Discard, Discard, Discard;
