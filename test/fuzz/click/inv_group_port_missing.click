c :: Classifier(12/0800, 12/0806, -);
FromDevice(0) -> c;
c => ( [0] -> [0]; [2] -> [1] ) => Discard, Discard, Discard;
