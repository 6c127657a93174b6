// [p]->[q] inside a group means input[p] -> output[q]
c :: Classifier(12/0800, -);
FromDevice(0) -> c;
c => ( [0] -> Counter -> [0]; [1] -> [1] ) => Discard, Discard;
