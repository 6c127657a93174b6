// c => x, y, z numbers c's outputs 0, 1, 2
c :: Classifier(12/0800, 12/0806, -);
x, y, z :: Discard;
FromDevice(0) -> c => x, y, z;
