print("gongzhi-samples: not written yet")
